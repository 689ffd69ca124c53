"""Build the department-classifier training corpus (``classifier/data/corpus.csv``).

How the corpus is made
----------------------
All text is written by this project.  ``fragments/*.txt`` describe, for each of
the 37 taxonomy categories, many concrete *situations* (e.g. "垃圾清运不及时",
"电动车飞线充电").  A situation holds several hand-written problem clauses
(``p:``), consultation questions (``q:``), wishes of the caller (``w:``) and
consequences/background (``x:``).  The generator combines a situation with a
*frame* (sentence pattern, see ``frames.py``) in one of several voices:
agent phone summary ("来电人反映……诉求……"), long first-person web message,
short one-liner, consultation, and enterprise (企业服务专席).  It then fills
generic pools (openings, repeat complaints, emotions, durations, placeholders
such as [地址] [姓名] [电话] [公司名称]), sometimes appends a short second topic
from another category (the label stays the main topic) and adds noise
(homophone typos, dialect words, run-on sentences, missing punctuation).

Why the split is grouped
------------------------
Random row splits would put near-identical rows (same situation, same frame)
on both sides and give a meaninglessly high score.  Instead, per category,
~20% of the *situations* are held out, held-out rows are built only from
held-out *frames*, and every filler pool is split as well.  A held-out row
therefore shares no situation, no sentence pattern and no filler phrase with
training, which approximates "new phrasing of a new problem".  ``group`` is the
situation id (``code:situation``), so no group appears in both splits.

Run: ``python3 -m classifier.corpus.build`` (deterministic, seeded).
"""

import csv
import math
import random
import re
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import frames as F
from .noise import messy

SEED = 12345
ROWS_PER_CATEGORY = 200
HELDOUT_SHARE = 0.2
ASIDE_RATE = 0.08

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
FRAG_DIR = HERE / "fragments"


@dataclass
class Situation:
    """One concrete problem family inside a category."""
    code: str
    key: str
    voices: str = "c"
    p: list = field(default_factory=list)
    q: list = field(default_factory=list)
    w: list = field(default_factory=list)
    x: list = field(default_factory=list)

    @property
    def group(self):
        return f"{self.code}:{self.key}"


def load_taxonomy():
    """Return {code: category label} from taxonomy.csv."""
    with open(DATA / "taxonomy.csv", encoding="utf-8") as f:
        return {r["code"]: r["category"] for r in csv.DictReader(f)}


def _items(s):
    return [t.strip() for t in s.split(" / ") if t.strip()]


def load_fragments():
    """Parse fragment files into ({code: [Situation]}, {code: {'W':[], 'X':[]}})."""
    sits, cat_level = {}, {}
    for path in sorted(FRAG_DIR.glob("*.txt")):
        code = cur = None
        for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("//"):
                continue
            if line.startswith("## "):
                code, cur = line[3:].strip(), None
                sits.setdefault(code, [])
                cat_level.setdefault(code, {"W": [], "X": []})
            elif line.startswith("# "):
                key, _, voices = line[2:].partition("|")
                cur = Situation(code, key.strip(), voices.strip() or "c")
                sits[code].append(cur)
            elif line[:2] in ("W:", "X:"):
                cat_level[code][line[0]].extend(_items(line[2:]))
            elif line[:2] in ("p:", "q:", "w:", "x:"):
                getattr(cur, line[0]).extend(_items(line[2:]))
            else:
                raise ValueError(f"{path.name}:{n}: cannot parse {raw!r}")
    return sits, cat_level


# Third-person conversion for agent-written summaries (order matters).
PRONOUNS = [
    ("我们公司", "该公司"), ("我司", "该公司"), ("我们小区", "其所在小区"), ("我们村", "其所在村"),
    ("我们家", "其家"), ("我家", "其家"), ("我们", "他们"), ("咱们", "他们"), ("我妈", "其母亲"),
    ("我爸", "其父亲"), ("我老公", "其丈夫"), ("我老婆", "其妻子"), ("我爱人", "其爱人"),
    ("我儿子", "其儿子"), ("我女儿", "其女儿"), ("我孩子", "其孩子"), ("俺", "其"), ("我", "其"),
]


def third_person(text):
    """Rewrite first-person fragments for agent summaries."""
    for a, b in PRONOUNS:
        text = text.replace(a, b)
    return text


def money(rng):
    """A random money amount in one of the usual written forms."""
    v = rng.choice([rng.randint(2, 99) * 10, rng.randint(10, 99) * 100, rng.randint(1, 30) * 1000,
                    rng.randint(2, 50) * 10000])
    if v >= 10000 and rng.random() < 0.5:
        return f"{v / 10000:g}万元" if rng.random() < 0.5 else f"{v // 10000}万多"
    return rng.choice([f"{v}元", f"{v}块", f"{v}多元", f"{v}块钱"])


CN_NUM = "两三四五六七八九十"


class Generator:
    """Create rows for one split from its situations, frames and pools."""

    def __init__(self, split, rng, all_sits):
        self.split, self.rng, self.all_sits = split, rng, all_sits

    def pool(self, name):
        return self.rng.choice(F.POOLS[name][self.split])

    def fill_small(self, text):
        """Fill lower-case placeholders used inside fragments and pools."""
        rng = self.rng
        subs = {
            "addr": lambda: self.pool("ADDR"), "money": lambda: money(rng),
            "n": lambda: rng.choice([str(rng.randint(2, 12)), rng.choice(CN_NUM)]),
            "days": lambda: self.pool("days"), "date": lambda: "[日期]", "name": lambda: "[姓名]",
            "tel": lambda: "[电话]", "co": lambda: self.pool("CO"), "b": lambda: str(rng.randint(1, 30)),
            "plate": lambda: "[车牌号]",
        }
        for _ in range(3):  # pools may contain nested placeholders
            text = re.sub(r"\{(\w+)\}", lambda m: subs[m.group(1)]() if m.group(1) in subs else m.group(0), text)
        return text

    def render(self, sit, style, cat_level):
        """Render one text for a situation in a given style."""
        rng = self.rng
        fid, tpl = rng.choice(F.FRAMES[style][self.split])
        probs = sit.p[:] or sit.q[:]
        rng.shuffle(probs)
        wants = sit.w + cat_level["W"]
        extras = sit.x + cat_level["X"]
        agentish = style == "agent" or (style == "consult" and fid in ("q01", "q02", "q06", "q91")) \
            or (style == "enterprise" and fid in ("e01", "e02", "e05", "e06", "e08", "e90", "e92"))
        slot = {
            "P": lambda: probs[0],
            "P2": lambda: probs[1] if len(probs) > 1 else rng.choice(extras or [""]),
            "Q": lambda: rng.choice(sit.q) if sit.q else probs[0],
            "W": lambda: rng.choice(wants),
            "X": lambda: rng.choice(extras) if extras else "",
            "DW": lambda: self.pool("DW").replace("{W}", rng.choice(wants)),
            "ADDR": lambda: self.pool("ADDR"), "NAME": lambda: "[姓名]", "TEL": lambda: "[电话]",
            "DATE": lambda: "[日期]", "CO": lambda: self.pool("CO"), "USCC": lambda: self.pool("USCC"),
        }
        for k in ("AI", "AE", "O", "C", "R", "E", "T", "IND"):
            slot[k] = (lambda k=k: self.pool(k))
        text = re.sub(r"\{([A-Z0-9]+)\}", lambda m: slot[m.group(1)](), tpl)
        if rng.random() < ASIDE_RATE and style != "short":
            text = self.add_aside(text, sit)
        if agentish:
            text = third_person(text)
        text = self.fill_small(text)
        text = tidy(text)
        return messy(text, rng, "agent" if agentish else style), fid

    def add_aside(self, text, sit):
        """Append a short second topic from another category (label unchanged)."""
        rng = self.rng
        other = rng.choice([c for c in self.all_sits if c != sit.code])
        cands = [s for s in self.all_sits[other] if s.p]
        o = rng.choice(cands)
        aside = min(rng.sample(o.p, min(2, len(o.p))), key=len)
        lead = rng.choice(["另外，", "还有就是", "顺便说一下，", "再就是", "另：", "此外，"])
        tail = rng.choice(["，也一并反映一下。", "，这个也麻烦看看。", "。", "，不过主要还是前面那个事。"])
        return text.rstrip("。") + "。" + lead + aside + tail


def tidy(text):
    """Repair punctuation artefacts left by empty slots."""
    text = re.sub(r"，\s*，+", "，", text)
    for a, b in (("，。", "。"), ("。，", "。"), ("：，", "："), ("，！", "！"), ("。。", "。"),
                 ("，？", "？"), ("；，", "；"), ("，；", "；"), ("！，", "！"), ("？，", "？"),
                 ("（）", ""), ("。；", "；"), ("：。", "。")):
        text = text.replace(a, b)
    text = re.sub(r"^[，。；：！\s]+", "", text)
    text = re.sub(r"，$", "", text)
    return text.strip()


def pick_style(sit, rng):
    """Choose a voice compatible with the situation's voices flag."""
    choices = []
    if "c" in sit.voices:
        choices += [("agent", 36), ("web", 34), ("short", 14)]
    if "e" in sit.voices:
        choices += [("enterprise", 45 if sit.voices == "e" else 30)]
        if sit.voices == "e":
            choices += [("agent", 20)]
    if sit.q:
        choices += [("consult", 22 if sit.p else 100)]
    if not sit.p:
        choices = [c for c in choices if c[0] in ("consult",)] or [("consult", 1)]
    styles, weights = zip(*choices)
    return rng.choices(styles, weights)[0]


def choose_heldout(code, sits):
    """Deterministically pick ~20% of a category's situations for held-out."""
    rng = random.Random(SEED + zlib.crc32(code.encode()))
    keys = sorted(s.key for s in sits)
    rng.shuffle(keys)
    k = max(1, round(len(keys) * HELDOUT_SHARE))
    return set(keys[:k])


def generate(seed=SEED):
    """Generate all rows as dicts (with a ``frame`` field for checks)."""
    taxonomy = load_taxonomy()
    sits, cat_level = load_fragments()
    missing = set(taxonomy) - set(sits)
    if missing:
        raise SystemExit(f"no fragments for: {sorted(missing)}")
    rng = random.Random(seed)
    by_split = {"train": {}, "heldout": {}}
    for code, lst in sits.items():
        ho = choose_heldout(code, lst)
        for s in lst:
            by_split["heldout" if s.key in ho else "train"].setdefault(code, []).append(s)
    rows, seen = [], set()
    for split in ("train", "heldout"):
        gen = Generator(split, rng, by_split[split])
        share = HELDOUT_SHARE if split == "heldout" else 1 - HELDOUT_SHARE
        for code in sorted(by_split[split]):
            lst = by_split[split][code]
            per_sit = math.ceil(ROWS_PER_CATEGORY * share / len(lst))
            for sit in lst:
                made = tries = 0
                while made < per_sit and tries < per_sit * 20:
                    tries += 1
                    text, fid = gen.render(sit, pick_style(sit, rng), cat_level[code])
                    if text in seen or len(text) < 6:
                        continue
                    seen.add(text)
                    rows.append({"text": text, "label": taxonomy[code], "group": sit.group,
                                 "split": split, "frame": fid})
                    made += 1
    return rows


def main():
    rows = generate()
    out = DATA / "corpus.csv"
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["text", "label", "group", "split"], extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    n_ho = sum(r["split"] == "heldout" for r in rows)
    print(f"wrote {len(rows)} rows ({len(rows) - n_ho} train, {n_ho} heldout) to {out}")


if __name__ == "__main__":
    main()
