"""An AD's text as each subtitle format must carry it: one line, nothing a player reads as markup.

* :func:`plain`: runs of whitespace (newlines, tabs, blank lines) become one space and characters
  no text file should hold (control characters, lone surrogates, U+FFFE/U+FFFF) are dropped, so
  that a blank line in an AD can neither end its cue nor start another one.
* :func:`vtt_text`: WebVTT cue text is HTML-like; ``&``, ``<`` and ``>`` become character
  references (so ``-->`` cannot appear either).
* :func:`srt_text`: SubRip has no escapes, and players read ``<b>``, ``<font>`` and ``{\\an8}``
  as markup; ``<``, ``>``, ``{`` and ``}`` become their full-width forms (＜ ＞ ｛ ｝), which
  read and sound the same but are never markup.
* TTML is XML: ElementTree escapes ``&``, ``<`` and ``>``; :func:`plain` removes what XML forbids.
"""

from __future__ import annotations

import unicodedata

_SRT = str.maketrans({"<": "\uff1c", ">": "\uff1e", "{": "\uff5b", "}": "\uff5d"})


def plain(text: str) -> str:
    """``text`` on one line, whitespace normalised, unwritable characters dropped."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cs") or c in "\t\n\r")
    return " ".join(kept.replace("\ufffe", "").replace("\uffff", "").split())


def vtt_text(text: str) -> str:
    """``text`` as WebVTT cue text."""
    return plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def srt_text(text: str) -> str:
    """``text`` as SubRip cue text."""
    return plain(text).translate(_SRT)
