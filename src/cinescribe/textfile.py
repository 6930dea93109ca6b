"""Text files people bring (subtitles, AD annotation tables): UTF-8 first, else the detected encoding.

:func:`read_text` decodes UTF-8, with or without a byte-order mark (and UTF-16/32 with one).
Anything else is handed to ``charset-normalizer``; among the encodings it finds equally
plausible, Windows-1252 wins (the encoding of English subtitle and annotation files saved on
Windows, e.g. the MAD-Eval CSV as distributed, and one that short texts often cannot tell
apart from its Central-European sibling cp1250).  A one-line warning names the encoding
used.  Binary data, or bytes no encoding explains, is an :class:`InputError`.
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from .errors import InputError

log = logging.getLogger("cinescribe")

PREFERRED = "cp1252"
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def detect_encoding(raw: bytes) -> str | None:
    """The encoding of ``raw`` (not UTF-8) by the rule of the module docstring; None if no text encoding fits."""
    from charset_normalizer import from_bytes

    matches = list(from_bytes(raw))
    if not matches:
        return None
    best = min(matches, key=lambda m: (m.chaos, -m.coherence))
    tied = [m for m in matches if m.chaos <= best.chaos + 1e-9 and m.coherence >= best.coherence - 1e-9]
    if any(PREFERRED in m.could_be_from_charset for m in tied):
        return PREFERRED
    return best.encoding


def decode_text(raw: bytes, source: str, what: str) -> str:
    """``raw`` (the bytes of ``source``) as text, with ``\\n`` line ends; ``what`` names the kind of file."""
    encoding = next((enc for bom, enc in _BOMS if raw.startswith(bom)), None)
    if encoding is None:
        if b"\x00" in raw[:4096]:
            raise InputError(f"{source}: not a text file (binary data); give {what}")
        try:
            encoding, text = "utf-8", raw.decode("utf-8")
        except UnicodeDecodeError:
            encoding = detect_encoding(raw)
            if encoding is None:
                raise InputError(f"{source}: not text in any encoding cinescribe knows; give {what} saved as UTF-8") from None
            text = raw.decode(encoding, errors="replace")
            log.warning(f"{source} is not UTF-8; read it as {encoding} (detected); save it as UTF-8 to be sure")
    else:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            raise InputError(f"{source}: starts with a {encoding} byte-order mark but is not {encoding}; "
                             "save it as UTF-8") from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: str | Path, what: str) -> str:
    """The text of the file ``path`` (see :func:`decode_text`)."""
    p = Path(path)
    return decode_text(p.read_bytes(), str(p), what)
