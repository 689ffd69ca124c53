"""Message preparation for long web messages: drop the courtesy boilerplate, repeat the title.

A citizen's web message opens with 尊敬的领导您好 and closes with 希望有关部门尽快处理，谢谢:
words every category shares, which a linear model has to learn to ignore from few examples.
The matter itself is usually said in the title (the first line, as intake joins title and
content) or the first sentence, so that part is repeated to weigh more. Module-level
functions only, so fitted pipelines pickle and clone.
"""
from __future__ import annotations

import re

from classifier.text import normalize

# Courtesy and procedure phrases that say nothing about the matter (matched on normalised text).
BOILERPLATE = re.compile(
    r"尊敬的(?:各位|市|区|县)?(?:领导|书记|市长|区长|县长|局长|工作人员|主任)(?:们)?(?:同志)?(?:您好|你好)?|"
    r"(?:各位|市|区)?领导(?:们)?(?:您好|你好)|(?:您好|你好|领导好|大家好)[,，!！。:：]?|"
    r"此致敬礼|此致|敬礼|盼复|盼回复|期待(?:您的)?(?:回复|答复)|静候佳音|感谢(?:您|你们|领导)?(?:的)?(?:关注|重视|百忙之中|阅读|帮助)?|"
    r"谢谢(?:您|你们|领导|各位)?|麻烦(?:你们|您)?了|辛苦(?:你们|您)?了|万分感谢|不胜感激|急急急|"
    r"(?:望|希望|恳请|请|盼望|强烈要求|恳求)(?:贵|有关|相关|政府|领导|上级|职能)?(?:部门|单位|领导)?"
    r"(?:能|可以|能够)?(?:尽快|早日|及时|认真|切实)?(?:重视|关注|处理|解决|回复|答复|给予答复|给予解决|给予回复|调查|核实|落实|帮助|帮忙)"
    r"(?:一下|为盼|为谢|此事|此问题|这个问题|我们的诉求)?|"
    r"网友留言[:：]?|市民来电反映[:：]?|来电人称[:：]?|我想反映(?:一)?个问题[,，:：]?|我要反映[:：]?")
_FIRST_SENTENCE = re.compile(r"^[^。！？!?\n]{4,60}")
_LEADING = re.compile(r"^[\s,，.。!！:：;；、]+")
TITLE_MAX = 40
TITLE_REPEAT = 2


def strip_boilerplate(text: str) -> str:
    """Normalised text without the courtesy phrases (the matter is kept)."""
    return BOILERPLATE.sub(" ", text)


def emphasis(raw: str, text: str) -> str:
    """The part that names the matter: the title line if the raw text has one, else the first sentence."""
    first, sep, rest = raw.partition("\n")
    if sep and rest.strip() and 2 <= len(first.strip()) <= TITLE_MAX:
        return strip_boilerplate(normalize(first)).strip()
    m = _FIRST_SENTENCE.match(_LEADING.sub("", text))
    return m.group(0).strip() if m else ""


def prepare(raw: str) -> str:
    """normalize -> drop boilerplate -> title (or first sentence) repeated in front."""
    raw = raw if isinstance(raw, str) else ""
    text = strip_boilerplate(normalize(raw))
    head = emphasis(raw, text)
    if not head:
        return text
    return " ".join([head] * TITLE_REPEAT + [text])


def clean(raw: str) -> str:
    """normalize -> drop boilerplate (no emphasis)."""
    return strip_boilerplate(normalize(raw if isinstance(raw, str) else ""))


def clean_many(texts) -> list[str]:
    """clean() over an iterable (a pipeline step)."""
    return [clean(t) for t in texts]


def prepare_many(texts) -> list[str]:
    """prepare() over an iterable (a pipeline step)."""
    return [prepare(t) for t in texts]
