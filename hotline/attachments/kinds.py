"""What an attachment may be, decided from its first bytes (magic numbers), never from its name.

The detection is the `filetype` library's: a fixed matcher per format over the first 8 KiB, pure
Python, no C library (libmagic) to install. It was preferred to `puremagic`, whose releases for our
Python (3.11) rank several guesses by confidence (an MP3 came back first as `.koz`, AMR without a
MIME type), which suits a guesser, not an allowlist. Only the formats below are taken; anything the
matchers do not recognise (HTML, SVG, scripts, plain text, archives) is refused. What a browser is
then told is fixed by this table too: an allowed image may be shown inline with its own image type;
everything else goes out as application/octet-stream, to be downloaded, never rendered.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import filetype

SNIFF_BYTES = 8192  # what filetype's matchers look at
MIB = 1024 * 1024


@dataclass(frozen=True)
class Format:
    kind: str          # photo / audio / document
    extension: str
    inline: bool       # an image a browser may show as such (never SVG: it can carry script)


FORMATS: dict[str, Format] = {
    "image/jpeg": Format("photo", "jpg", True),
    "image/png": Format("photo", "png", True),
    "image/webp": Format("photo", "webp", True),
    "image/gif": Format("photo", "gif", True),
    "image/heic": Format("photo", "heic", False),
    "audio/amr": Format("audio", "amr", False),        # what many call recorders write
    "audio/mpeg": Format("audio", "mp3", False),
    "audio/mp4": Format("audio", "m4a", False),
    "audio/aac": Format("audio", "aac", False),
    "audio/x-wav": Format("audio", "wav", False),
    "audio/ogg": Format("audio", "ogg", False),
    "application/pdf": Format("document", "pdf", False),
    "application/msword": Format("document", "doc", False),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": Format("document", "docx", False),
    "application/vnd.ms-excel": Format("document", "xls", False),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": Format("document", "xlsx", False),
}

# Largest file of each kind (the service's attachment_max_bytes caps them all).
KIND_LIMITS = {"photo": 10 * MIB, "audio": 20 * MIB, "document": 20 * MIB}
KIND_LABELS = {"photo": "照片", "audio": "录音", "document": "文档"}
PURPOSE_LABELS = {"intake": "登记材料", "evidence": "办理佐证"}
ALLOWED_TEXT = "照片（JPEG、PNG、WebP、GIF、HEIC）、录音（AMR、MP3、M4A、AAC、WAV、OGG）、文档（PDF、Word、Excel）"


def detect(head: bytes) -> tuple[str, Format] | None:
    """(media type, format) of a file from its first bytes, or None when it is not an allowed format."""
    guess = filetype.guess(head[:SNIFF_BYTES]) if head else None
    if guess is None or guess.mime not in FORMATS:
        return None
    return guess.mime, FORMATS[guess.mime]


def limit_for(fmt: Format, overall: int) -> int:
    """The most bytes a file of this format may have."""
    return min(KIND_LIMITS[fmt.kind], overall)


_UNSAFE = re.compile(r"[^\w\-\u3000-\u303f\uff00-\uffef（）() ]+")
STEM_MAX = 80


def display_name(raw: str | None, fmt: Format) -> str:
    """The name shown and offered for download: the client's last path component, letters, digits and a
    few marks only, with the extension of the detected format (so `a.html` holding a JPEG is `a.jpg`)."""
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name.strip(".") else name
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:STEM_MAX].strip(" ._")
    return f"{stem or '附件'}.{fmt.extension}"
