"""The COCO PTB tokenisation in Python, for the plain-text sentences where its result is certain.

pycocoevalcap's tokenizer is Stanford CoreNLP 3.4.1's ``PTBTokenizer -preserveLines -lowerCase`` (a
JFlex lexer, ``PTBLexer.flex``) followed by the removal of punctuation tokens.  This module follows
that lexer on a restricted language: ASCII letters and digits, spaces and tabs, and the punctuation
``. , ! ? ; : ' " ( ) -``.  Within it, the rules that decide the surviving tokens are:

- a run of letters and digits, with single hyphens joining runs (``well-known``, ``1990s``), is one
  token (WORD, THING, HTHING); a number with ``.``, ``,`` or ``:`` between digits is one token (NUM);
- ``'s 'm 'd 're 've 'll`` (lower case) after a word of letters are tokens (WORD/REDAUX), and
  ``n't`` splits from the letters before it (SWORD/SREDAUX): ``do n't``, ``ca n't``;
- ``cannot gonna gotta lemme gimme wanna`` split in two (``can not``, ``gon na``);
- ``Mr. Mrs. Ms. Dr.`` keep their period (ABBREV2, whatever follows);
- ``(`` and ``)`` become ``-lrb-`` and ``-rrb-``, which survive (the punctuation list has upper case);
  a run of two or more ``?``/``!`` and a run of five or more hyphens survive as one token;
- every other punctuation character, alone or in a run, is removed.

Anything where the lexer has another rule, or where its choice depends on the following text
(abbreviations and single letters before a period, a period or comma between letters, a quote
before a letter, contractions outside the forms above, hyphens at a word's edge, spaced digit
groups read as phone numbers, smileys), makes :func:`tokenize_line` return ``None``: the caller then
asks the reference jar.
"""

from __future__ import annotations

import functools
import re

_SAFE = re.compile(r"[A-Za-z0-9 \t.,!?;:'\"()\-]*")
# Patterns that other lexer rules (PHONE, SMILEY, ASIANSMILEY, NUM starting with punctuation) could match;
# the look-ahead names the characters they start with, so the search skips the other positions fast.
_RISKY = re.compile(r"(?=[0-9(:;.,!?])(?:[0-9]\)?[ \t]+\(?[0-9]|\([0-9]{2,3}\)|[:;][-o*']?[()DPdpO]"
                    r"|\([-x'][_.]?[-x']\)|\([x']-[x']\)|[.,:;!?][A-Za-z0-9])")
_CORE = re.compile(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*")
_SUFFIX = re.compile(r"'(s|m|d|re|ve|ll)(?![A-Za-z0-9'\-])")
_ASSIMILATIONS = {"cannot": ("can", "not"), "gonna": ("gon", "na"), "gotta": ("got", "ta"),
                  "lemme": ("lem", "me"), "gimme": ("gim", "me"), "wanna": ("wan", "na")}
# Words that some rule keeps together with a following period (ABBREV1-4, the special cases, case
# folded: the lexer is caseless outside character classes), or that take an apostrophe (APOWORD).
_ABBREVIATION = re.compile(
    r"jan|feb|mar|apr|jun|jul|aug|sept?|oct|nov|dec|mon|tues?|wed|thu|thurs|fri"
    r"|ala|ariz|az|ark|calif|colo|conn|ct|dak|del|fla|ga|ill|ind|kans?|ky|la|mass|md|mich|minn|miss|mo|mont"
    r"|neb|nev|okla|ore|pa|penn|tenn|tex|va|vt|wash|wisc?|wyo"
    r"|inc|cos?|corp|pp?t[ye]s?|ltd|plc|rt|bancorp|bhd|assn|univ|intl|sys|tel|est|ext|sq|jr|sr|bros|blvd|rd|esq"
    r"|etc|al|seq|bldg|mrs?|ms|drs?|profs?|sens?|reps?|attys?|lt|col|gen|messrs|govs?|adm|rev|maj|sgt|cpl|pvt"
    r"|capt|ste?|ave|pres|lieut|hon|brig|co?mdr|pfc|spc|supts?|det|mt|ft|adj|adv|asst|assoc|ens|insp|mlle|mme"
    r"|msgr|sfc|vs|alex|wm|jos|cie|cf|treas|ph|invt|elec|natl|m[ft]g|dept|ca|figs?|prop|nos?|art|op|pty?|pte",
    re.IGNORECASE)
# Titles that keep their period whatever follows (ABBREV2, a rule without look-ahead).
_TITLES = {"mr", "mrs", "ms", "dr"}
_APOSTROPHE_WORDS = {"dunkin", "somethin", "ol", "cont"}
# Marks that, after a word and ending its chunk, the punctuation filter removes whatever the word.
_WORD_END = frozenset('.,;:!?"')


def _punctuation(text: str, out: list[str]) -> None:
    """Tokens of a run of punctuation characters that survive the punctuation filter."""
    for run in re.finditer(r"[?!]+|-+|.", text):
        r = run.group()
        if r == "(":
            out.append("-lrb-")
        elif r == ")":
            out.append("-rrb-")
        elif (r[0] in "?!" and len(r) >= 2) or (r[0] == "-" and len(r) >= 5):
            out.append(r)


@functools.lru_cache(maxsize=1 << 16)
def _chunk_tokens(chunk: str) -> tuple[str, ...] | None:
    """The surviving tokens of one whitespace-free chunk (a chunk's tokens depend on it alone within
    the restricted language), or ``None`` where the rules are not certain."""
    core, end = (chunk[:-1], chunk[-1]) if chunk[-1] in _WORD_END else (chunk, "")
    if core.isalnum():  # most chunks: one word (ASCII: the line passed _SAFE), alone or before one mark
        lower = core.lower()
        if end == ".":
            if lower in _TITLES:
                return (lower + ".",)
            if len(core) == 1 or _ABBREVIATION.fullmatch(core):
                return None
        return _ASSIMILATIONS.get(lower, (lower,))
    out: list[str] = []
    return tuple(out) if _chunk(chunk, out) else None


def _chunk(chunk: str, out: list[str]) -> bool:
    """Append the surviving tokens of one whitespace-free chunk; False where the rules are not certain."""
    i, n = 0, len(chunk)
    while i < n:
        c = chunk[i]
        if not c.isalnum():
            j = i
            while j < n and not chunk[j].isalnum():
                j += 1
            if j < n and chunk[j - 1] in "-'.,:":  # a hyphen, quote or separator glued to the next word
                return False
            _punctuation(chunk[i:j], out)
            i = j
            continue
        core = _CORE.match(chunk, i).group()
        j = i + len(core)
        nxt = chunk[j] if j < n else ""
        lower = core.lower()
        if nxt == "-":
            return False
        if lower.endswith("n") and chunk.startswith("'t", j) and (j + 2 == n or not chunk[j + 2].isalpha()):
            stem = core[:-1]
            if not stem.isalpha() or stem[-1] in "nN":
                return False
            out.extend((stem.lower(), "n't"))
            i = j + 2
            continue
        if nxt == "'":
            if not core.isalpha() or (len(core) == 1 and core not in "iI") or lower in _APOSTROPHE_WORDS:
                return False
            suffix = _SUFFIX.match(chunk, j)
            if suffix:
                out.extend((lower, suffix.group()))
                i = suffix.end()
                continue
            if j + 1 < n and chunk[j + 1].isalnum():
                return False
        if nxt == "." and lower in _TITLES:
            out.append(lower + ".")
            i = j + 1
            continue
        if nxt == "." and (len(core) == 1 or _ABBREVIATION.fullmatch(core)
                           or chunk[j + 1:j + 2] in (",", ";", ":")):
            return False
        out.extend(_ASSIMILATIONS.get(lower, (lower,)))
        i = j
    return True


def tokenize_line(line: str) -> str | None:
    """The reference's tokens of one line joined by spaces, or ``None`` where the jar must decide."""
    if not _SAFE.fullmatch(line) or _RISKY.search(line):
        return None
    out: list[str] = []
    for chunk in line.split():
        tokens = _chunk_tokens(chunk)
        if tokens is None:
            return None
        out.extend(tokens)
    return " ".join(out)
