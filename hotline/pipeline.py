"""Intake assessment: classify, split 12345/110, place the address, decide dispatch.

Everything here decides; nothing writes. The models are loaded once per worker at
start-up (jieba's dictionary included), off the loop. Predictions run on the loop,
batched across concurrent requests: they are pure Python and numpy under the GIL,
so a thread would add the hand-off's cost (about a tenth of a worker's CPU under
load, measured with py-spy) and no parallelism; the loop waits at most one batch
of PREDICT_BATCH texts (a few milliseconds). Both cores are used by worker processes.
"""
from __future__ import annotations

import asyncio
import ctypes
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from hotline.batching import Batcher
from hotline.tickets.schemas import TicketIn
from models.enums import Disposition
from routing import address, destination
from routing.split import SplitDecision, decide_splits

log = logging.getLogger(__name__)

PREDICT_BATCH = 32
HELD_REASON = "疑似涉警，待三方研判"  # a held call's triage reason starts with this (the review queue reads it)


@dataclass
class ReferenceData(destination.Places):
    """What intake reads, loaded once per worker: the places (areas, catalogue, units) and both models."""

    classifier: object | None          # classifier.model.ModelHolder
    split_model: object | None
    unit_ids: dict[str, int]           # unit code -> units.id
    categories: dict[str, str]         # Chinese name -> code
    executor: ThreadPoolExecutor       # model loading and reloading (seconds of work) happen here
    home_province: str = "320000"
    predictor: Batcher | None = None   # classifier + split model, batched across concurrent requests

    def __post_init__(self) -> None:
        if self.predictor is None:
            self.predictor = Batcher(self.predict_many, executor=None, max_batch=PREDICT_BATCH)

    def predict_many(self, texts: list[str]) -> list[tuple[object | None, SplitDecision]]:
        """Department prediction (None without a classifier) and 110 split for each text."""
        from classifier.text import shared_work

        with shared_work():  # both models normalise and segment each text once between them
            predictions = self.classifier.predict(texts) if self.classifier is not None else [None] * len(texts)
            return list(zip(predictions, decide_splits(texts, model=self.split_model)))


@dataclass
class Assessment:
    """The decisions about one request, with reasons for the ticket's events."""

    split: SplitDecision
    prediction: object | None = None
    category_code: str | None = None
    resolution: object | None = None
    decision: destination.Decision | None = None
    triage_reasons: list[str] = field(default_factory=list)

    @property
    def to_police_only(self) -> bool:
        return self.split.disposition == Disposition.POLICE and not self.held_for_review

    @property
    def held_for_review(self) -> bool:
        """An uncertain 110/joint reading: no hand-off on a guess; it waits for 三方研判 (hotline.linkage.review).
        A severe rule hit (weapon, fire, explosion, kidnapping) is never held."""
        return self.split.review and self.split.disposition != Disposition.HOTLINE and not self.split.severe

    @property
    def needs_triage(self) -> bool:
        return bool(self.triage_reasons)


def _load_classifier(model_dir):
    try:
        from classifier.model import ModelHolder
        from classifier.text import init_jieba

        init_jieba()
        return ModelHolder.from_dir(model_dir) if model_dir else ModelHolder.from_default()
    except Exception as exc:  # a missing model must not stop intake: tickets go to triage
        log.error("department classifier not loaded (%s); every ticket goes to triage", exc)
        return None


def _load_split_model():
    from routing.split import load_split_model

    try:
        return load_split_model()
    except Exception as exc:
        log.error("110 split model not loaded (%s); rules only", exc)
        return None


# Models loaded by a parent process before it forks its workers: the workers share these pages.
_PRELOADED: dict[str, object] = {}


def preload(model_dir=None) -> None:
    """Load the classifier and the split model once, in the parent of `serve --workers N`."""
    _PRELOADED["classifier"] = _load_classifier(model_dir)
    _PRELOADED["split"] = _load_split_model()
    _release_free_heap()


def _release_free_heap() -> None:
    """Give the heap that loading freed (temporary arrays, jieba's build) back to the OS before the
    fork, so the workers do not inherit it as resident memory. glibc only; a no-op elsewhere."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


async def load_areas(pool) -> address.AreaTable:
    """The areas in the database (the sample CSV is only what `hotline seed` loads)."""
    from models.enums import Tier

    rows = await pool.fetch("SELECT code, name, short_name, level, parent_code FROM areas ORDER BY code")
    return address.table(address.Area(r["code"], r["name"], r["short_name"] or r["name"], Tier(r["level"]),
                                      r["parent_code"]) for r in rows)


async def load_units(pool) -> tuple[destination.UnitIndex, dict[str, int]]:
    """The active units as the dispatch decision sees them, and their ids by code."""
    from routing.units import UnitSeed

    rows = await pool.fetch("SELECT id, code, name, unit_type, area_code, tier FROM units WHERE active")
    index = destination.index_units([UnitSeed(r["code"], r["name"], r["unit_type"], r["area_code"], r["tier"])
                                  for r in rows])
    return index, {r["code"]: r["id"] for r in rows}


async def load(pool, model_dir, home_province: str, executor: ThreadPoolExecutor) -> ReferenceData:
    """The models (loaded off the loop, or the parent's preloaded ones) and the reference data in the database."""
    if _PRELOADED:
        classifier, split_model = _PRELOADED["classifier"], _PRELOADED["split"]
    else:
        loop = asyncio.get_running_loop()
        classifier = await loop.run_in_executor(executor, _load_classifier, model_dir)
        split_model = await loop.run_in_executor(executor, _load_split_model)
    categories = {r["name"]: r["code"] for r in await pool.fetch("SELECT code, name FROM categories")}
    units, unit_ids = await load_units(pool)
    return ReferenceData(areas=await load_areas(pool), catalogue=destination.load_catalogue(), units=units,
                         classifier=classifier, split_model=split_model, unit_ids=unit_ids,
                         categories=categories, executor=executor, home_province=home_province)


def place(ref: ReferenceData, data: TicketIn):
    """The request's area chain from its explicit code or its address text."""
    return address.resolve(data.address or data.content, ref.areas, ref.home_province, data.area_code)


def keep_on_hotline(split: SplitDecision) -> SplitDecision:
    """110 already judged this call 双非: keep it, but flag police signals for three-party review."""
    if split.disposition == Disposition.HOTLINE:
        return split
    reasons = ["110 移交双非诉求，系统检出警情信号，需三方会商", *split.reasons]
    return SplitDecision(Disposition.HOTLINE, reasons, True, split.police_score)


async def assess(ref: ReferenceData, data: TicketIn, threshold: float, *, inbound_110: bool = False) -> Assessment:
    """All intake decisions for one request (inbound_110: a 双非 call handed over by 110)."""
    text = f"{data.title}\n{data.content}" if data.title else data.content
    prediction, split = await ref.predictor.submit(text)
    if inbound_110:
        split = keep_on_hotline(split)
    resolution = place(ref, data)
    result = Assessment(split=split, prediction=prediction, resolution=resolution)
    if result.to_police_only:
        return result
    _categorise(result, ref, threshold)
    if result.held_for_review:
        result.triage_reasons.insert(0, f"{HELD_REASON}（{'、'.join(split.reasons)}）")
    if resolution.needs_triage:
        result.triage_reasons.append(f"地址无法定位：{resolution.reason}")
    if result.category_code and not resolution.needs_triage:
        result.decision = destination.decide(result.category_code, resolution.chain, ref.catalogue, ref.units)
        if result.decision.triage:
            result.triage_reasons.append(result.decision.reason)
    return result


def _categorise(result: Assessment, ref: ReferenceData, threshold: float) -> None:
    p = result.prediction
    if p is None:
        result.triage_reasons.append("分类模型不可用，需人工分拣")
    elif p.confidence < threshold:
        result.triage_reasons.append(f"分类置信度 {p.confidence:.2f} 低于阈值 {threshold:.2f}，需人工分拣")
    elif p.category not in ref.categories:
        result.triage_reasons.append(f"模型给出的类别「{p.category}」不在派单目录中")
    else:
        result.category_code = ref.categories[p.category]
