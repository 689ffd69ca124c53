"""Messiness applied to generated texts: typos, dialect, punctuation loss.

Real hotline texts are full of homophone errors (的/得, 在/再), dialect or
colloquial words, run-on sentences and missing punctuation.  These functions
imitate that so that the classifier does not rely on clean, formal wording.
"""

import re

# Homophone / common input-method errors: (correct, wrong)
TYPOS = [
    ("的", "得"), ("得", "的"), ("在", "再"), ("再", "在"), ("已经", "以经"), ("反映", "反应"),
    ("那", "哪"), ("做", "作"), ("账", "帐"), ("部门", "部们"), ("按时", "按实"), ("其他", "其它"),
    ("根本", "跟本"), ("一直", "一值"), ("处理", "处里"), ("投诉", "投述"), ("再三", "在三"),
    ("安装", "按装"), ("重新", "从新"), ("竟然", "尽然"), ("不管", "不官"), ("好像", "好象"),
    ("居民", "居名"), ("物业", "物叶"), ("小区", "小曲"), ("厉害", "利害"),
]

# Colloquial / dialect substitutions
DIALECT = [
    ("什么", "啥"), ("怎么办", "咋办"), ("怎么", "咋"), ("没有", "没得"), ("不知道", "不晓得"),
    ("很", "贼"), ("非常", "老"), ("这样", "这么个样"), ("我们", "俺们"), ("我", "俺"),
    ("一点", "一丢丢"), ("没人管", "没得人管"), ("不行", "不中"), ("好多", "老多"),
    ("现在", "这会儿"), ("特别", "忒"), ("不要", "莫要"), ("吵", "闹麻了"), ("多少", "好多"),
    ("不是", "不得是"), ("这里", "这搭"), ("什么时候", "啥时候"), ("干什么", "搞么子"),
]

SPOKEN_PREFIXES = ["喂，", "那个，", "就是那个，", "嗯，", "我跟你说，", "是这样的，", "哎，", "你好你好，"]


def add_typos(text, rng, max_n=2):
    """Replace up to ``max_n`` occurrences with homophone/input errors."""
    cands = [t for t in TYPOS if t[0] in text]
    rng.shuffle(cands)
    for right, wrong in cands[: rng.randint(1, max_n)]:
        idx = [m.start() for m in re.finditer(re.escape(right), text)]
        i = rng.choice(idx)
        text = text[:i] + wrong + text[i + len(right):]
    return text


def add_dialect(text, rng, max_n=2):
    """Swap a few standard words for colloquial or dialect ones."""
    cands = [t for t in DIALECT if t[0] in text]
    rng.shuffle(cands)
    for std, dia in cands[: rng.randint(1, max_n)]:
        text = text.replace(std, dia, 1)
    return text


def strip_punct(text, rng):
    """Drop most punctuation (phone-typed messages) or turn it into spaces."""
    repl = rng.choice(["", " ", ""])
    return re.sub(r"[，。；：、]", repl, text)


def run_on(text, rng):
    """Turn full stops into commas: one long run-on sentence."""
    body = text.rstrip("。")
    return body.replace("。", "，") + ("。" if text.endswith("。") and rng.random() < 0.5 else "")


def messy(text, rng, style):
    """Apply a random mix of noise; agent-written summaries get less of it."""
    light = style in ("agent",)
    if rng.random() < (0.08 if light else 0.22):
        text = add_typos(text, rng)
    if not light and rng.random() < 0.12:
        text = add_dialect(text, rng)
    if not light and rng.random() < 0.12:
        text = run_on(text, rng)
    if rng.random() < (0.02 if light else 0.10):
        text = strip_punct(text, rng)
    if not light and rng.random() < 0.06:
        text = rng.choice(SPOKEN_PREFIXES) + text
    if not light and rng.random() < 0.05:
        text = text.rstrip("。！") + rng.choice(["！！！", "!!", "？？", "……", "。。。"])
    return text
