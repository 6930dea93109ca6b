"""The AD style checker: the rules of the AD style guides as checks over an AD script.

The rules come from the audio-description guides (Netflix's AD style guide, the ACB and DCMP
guidelines, the ITC guidance): present tense, active voice, third person; what is seen, not
motives or emotions; never over dialogue; at or just before the event, never after; speakable in
the slot at no more than about 180 words per minute; each AD new against the one before; all
on-screen text read out; characters named consistently.  Each rule has an id, a severity
(``error`` or ``warning``) and a short message; a :class:`Finding` adds the words it flagged.

Sentence rules (:func:`sentence_findings`) look at one text; script rules
(:func:`check_document`) also see the slot, the dialogue, the previous AD and the characters.
Words inside double quotes are on-screen text read out and are never flagged.  Verb forms come
from ``lemminflect`` (past, participle and present forms of a lemma).

How long an AD takes to say is the caller's: ``speech_time(text) -> seconds`` (the export stage's
TTS voice, passed in by the CLI); without one, it is estimated at :data:`ESTIMATE_WPM` words per
minute and the finding says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

SpeechTime = Callable[[str], float]

MAX_WPM = 180.0  # the guides' ceiling: about 160-180 words per minute
ESTIMATE_WPM = 160.0  # the speaking rate assumed when no voice measures the text
LATE_TOLERANCE = 0.5  # seconds an AD may start after the last frame its facts were seen in
REPEAT_JACCARD = 0.6  # content-word overlap with the previous AD that counts as a near-duplicate


@dataclass(frozen=True)
class Rule:
    """One style rule: ``id``, ``severity`` (``error``/``warning``) and what it asks for."""

    id: str
    severity: str
    summary: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("tense", "error", "not present tense"),
    Rule("passive", "warning", "passive voice: say who does it"),
    Rule("viewer", "error", "first or second person (\"we see\", \"you\"): describe in the third person"),
    Rule("camera", "warning", "camera or meta words: use them only when they carry meaning"),
    Rule("hedging", "error", "hedging: say what is seen, not what it might be"),
    Rule("interpretation", "error", "an emotion or motive: describe the visible expression or action instead"),
    Rule("late", "error", "starts after the event it describes"),
    Rule("too_fast", "error", f"needs more than {MAX_WPM:g} words per minute to fit its slot"),
    Rule("too_long", "error", "takes longer to say than its slot"),
    Rule("dialogue", "error", "overlaps dialogue"),
    Rule("repeat", "warning", "near-duplicate of the previous AD"),
    Rule("opening", "warning", "starts like the previous AD"),
    Rule("text_unread", "warning", "on-screen text was read but is not said"),
    Rule("renamed", "error", "a named character is called by a description again"),
    Rule("capital", "warning", "a capital letter mid-sentence on a common word"),
)}


@dataclass(frozen=True)
class Finding:
    """A rule that fired on one AD, with the words it flagged."""

    rule: str
    severity: str
    message: str
    words: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "message": self.message, "words": list(self.words)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Finding":
        return cls(str(d["rule"]), str(d["severity"]), str(d["message"]), tuple(d.get("words", ())))


def _finding(rule: str, words: Iterable[str] = (), detail: str = "") -> Finding:
    r = RULES[rule]
    return Finding(rule, r.severity, r.summary + (f" ({detail})" if detail else ""), tuple(dict.fromkeys(words)))


# ---------------------------------------------------------------------------------------------
# Words

_QUOTED = re.compile(r'"[^"]*"|“[^”]*”')
_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’\-]*|[.!?;:]")
PRONOUN_SUBJECTS = frozenset("he she it they".split())
PERSON_NOUNS = frozenset(
    "man woman person people boy girl men women child children someone everyone group crowd figure".split())
VIEWER_WORDS = frozenset("we us our ours i me my mine you your yours".split())
CAMERA_PHRASES = (
    "the camera", "camera", "this shot", "in this shot", "shot of", "is shown", "are shown", "footage",
    "close-up", "wide shot", "long shot", "medium shot", "zooms in", "zooms out", "cut to", "the frame",
)
HEDGE_PHRASES = (
    "seems", "seem", "seemed", "seemingly", "apparently", "probably", "possibly", "perhaps", "maybe",
    "presumably", "likely", "somehow", "appears to", "appear to", "looks like", "look like", "as if",
    "as though", "might", "could be", "sort of", "kind of",
)
EMOTIONS = frozenset("""
angry sad happy unhappy frightened scared afraid fearful nervous worried anxious upset surprised shocked
disgusted excited annoyed irritated confused jealous lonely proud ashamed embarrassed guilty furious
terrified depressed bored curious hopeful relieved desperate pleased delighted horrified miserable
""".split())
MENTAL_VERBS = frozenset("""
want wants wanted think thinks thought know knows knew decide decides realise realises realize realizes
remember remembers hope hopes wish wishes intend intends believe believes wonder wonders fear fears
love loves hate hates enjoy enjoys worry worries feel feels
""".split())
BE_FORMS = frozenset("is are was were be been being get gets got".split())
PAST_AUX = frozenset("was were had did will would wasn't weren't didn't hadn't won't wouldn't".split())
CLOSED_CLASS = frozenset("""
a an the and or but of in on at to from with by for as into onto over under then while he she it they his her
its their this that these those is are there here some all each both one two three four five six seven eight
nine ten eleven twelve several many few
""".split())
_DETERMINERS = frozenset("a an the his her its their this that these those some".split())


def unquoted(text: str) -> str:
    """``text`` with quoted on-screen text replaced by a placeholder word."""
    return _QUOTED.sub(" QUOTE ", text)


def tokens(text: str) -> list[str]:
    """Words and sentence punctuation of ``text`` outside quotes, in their original case."""
    return [t.replace("’", "'") for t in _TOKEN.findall(unquoted(text))]


def _words_lower(text: str) -> list[str]:
    return [t.lower() for t in tokens(text) if t[0].isalpha() and t != "QUOTE"]


def _has_phrase(words: Sequence[str], phrase: str) -> bool:
    parts = phrase.split()
    n = len(parts)
    return any(list(words[i:i + n]) == parts for i in range(len(words) - n + 1))


@lru_cache(maxsize=4096)
def _verb_forms(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """Penn tags ``word`` can be as a verb form of any of its verb lemmas, and those lemmas."""
    from lemminflect import getAllInflections, getAllLemmas

    tags: set[str] = set()
    lemmas = set(getAllLemmas(word, upos="VERB").get("VERB", ()))
    for lemma in lemmas:
        table = getAllInflections(lemma, upos="VERB")
        table.setdefault("VBN", table.get("VBD", ()))  # regular verbs list the participle only as VBD
        for tag, forms in table.items():
            if word in forms:
                tags.add(tag)
    return frozenset(tags), frozenset(lemmas)


def is_pure_past(word: str) -> bool:
    """A simple-past form that is no present form or participle ("went", "saw", not "put")."""
    tags, _ = _verb_forms(word.lower())
    return "VBD" in tags and not tags & {"VBN", "VB", "VBP", "VBZ", "VBG"}


def is_past(word: str) -> bool:
    """A simple-past form that is no present form ("walked", "sat"; not "put", "read")."""
    tags, _ = _verb_forms(word.lower())
    return "VBD" in tags and not tags & {"VB", "VBP", "VBZ"}


@lru_cache(maxsize=4096)
def _unknown_word(word: str) -> bool:
    """Not an English word lemminflect knows: at the start of a sentence, most likely a name."""
    from lemminflect import getAllLemmas

    return not getAllLemmas(word.lower())


def is_participle(word: str) -> bool:
    tags, _ = _verb_forms(word.lower())
    return "VBN" in tags


# ---------------------------------------------------------------------------------------------
# Sentence rules


def _tense(toks: Sequence[str]) -> list[str]:
    flagged = []
    for i, tok in enumerate(toks):
        low = tok.lower()
        if low in PAST_AUX or is_pure_past(low):
            if i > 0 and toks[i - 1].lower() in _DETERMINERS:  # "a saw", "the will"
                continue
            flagged.append(tok)
            continue
        if i == 0 or not is_past(low):
            continue
        prev = toks[i - 1]
        name = prev[:1].isupper() and prev != "QUOTE" and prev.lower() not in CLOSED_CLASS and (
            (i - 1 > 0 and toks[i - 2] not in ".!?") or _unknown_word(prev))
        if prev.lower() in PRONOUN_SUBJECTS or prev.lower() in PERSON_NOUNS or name:
            flagged.append(tok)
    return flagged


def _passive(toks: Sequence[str]) -> list[str]:
    low = [t.lower() for t in toks]
    flagged = []
    for i, w in enumerate(low):
        if w not in BE_FORMS:
            continue
        j = i + 1
        if j < len(low) and low[j].endswith("ly"):
            j += 1
        if j < len(low) and low[j] not in CLOSED_CLASS and is_participle(low[j]) and not low[j].endswith("ing"):
            flagged.append(f"{toks[i]} {toks[j]}")
    return flagged


def sentence_findings(text: str, fact_words: Iterable[str] = ()) -> list[Finding]:
    """The sentence rules that fire on ``text`` (``fact_words``: common words the AD's facts
    license, used by the capital rule)."""
    if not text.strip():
        return []
    toks = tokens(text)
    words = _words_lower(text)
    out: list[Finding] = []
    past = _tense(toks)
    if past:
        out.append(_finding("tense", past))
    passive = _passive(toks)
    if passive:
        out.append(_finding("passive", passive))
    viewer = [t for t in toks if t.lower() in VIEWER_WORDS]
    if viewer:
        out.append(_finding("viewer", viewer))
    camera = [p for p in CAMERA_PHRASES if _has_phrase(words, p)]
    camera = [p for p in camera if not any(p != q and p in q.split() for q in camera)]
    if camera:
        out.append(_finding("camera", camera))
    hedges = [p for p in HEDGE_PHRASES if _has_phrase(words, p)]
    if hedges:
        out.append(_finding("hedging", hedges))
    emotions = [w for w in words if w in EMOTIONS]
    for i, w in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w in MENTAL_VERBS and not (w.startswith("feel") and nxt in _DETERMINERS):  # "feels the wall": touch
            emotions.append(w)
    if emotions:
        out.append(_finding("interpretation", emotions))
    common = CLOSED_CLASS | {w.lower() for w in fact_words}
    capitals = [t for i, t in enumerate(toks)
                if i > 0 and toks[i - 1] not in ".!?:" and t[:1].isupper() and t != "QUOTE" and t != "I"
                and t.lower() in common]
    if capitals:
        out.append(_finding("capital", capitals))
    return out


# ---------------------------------------------------------------------------------------------
# Script rules


def _content(text: str) -> set[str]:
    return {w for w in _words_lower(text) if w not in CLOSED_CLASS}


def _opening(text: str) -> tuple[str, ...]:
    return tuple(_words_lower(text)[:2])


def _times(fact: dict[str, Any]) -> list[float]:
    ev = fact.get("evidence") or {}
    out = []
    for key in ("frames", "times"):
        vals = ev.get(key)
        if isinstance(vals, list):
            out += [float(v) for v in vals if isinstance(v, (int, float))]
    for key in ("start", "end", "t"):
        if isinstance(ev.get(key), (int, float)):
            out.append(float(ev[key]))
    return out


def window(start: float, end: float, dialogue: Sequence[tuple[float, float]]) -> float:
    """Seconds from ``start`` to the slot's end or the next dialogue, whichever is first."""
    stop = end
    for s, e in dialogue:
        if e > start and s < stop:
            stop = max(start, s)
    return max(0.0, stop - start)


def estimated_speech_time(text: str, wpm: float = ESTIMATE_WPM) -> float:
    """Seconds to say ``text`` at ``wpm`` words per minute (used when no voice measures it)."""
    return len(text.split()) * 60.0 / wpm


def _characters(doc: dict[str, Any]) -> list[dict[str, Any]]:
    chars = doc.get("characters") or []
    return [c for c in chars if isinstance(c, dict) and c.get("id") is not None]


def _named(text: str, name: str) -> bool:
    return bool(name) and re.search(rf"\b{re.escape(name)}\b", unquoted(text)) is not None


_INDEFINITE_PERSON = re.compile(r"\b(?:a|an)\s+(?:\w+\s+)?(?:man|woman|person|boy|girl|child|figure)\b|\bsomeone\b",
                                re.IGNORECASE)


def check_descriptions(
    descriptions: Sequence[dict[str, Any]],
    dialogue: Sequence[tuple[float, float]] = (),
    characters: Sequence[dict[str, Any]] = (),
    speech_time: SpeechTime | None = None,
) -> list[list[Finding]]:
    """The findings of every description (dicts as in the AD script's JSON), in their order.

    ``dialogue``: (start, end) seconds; ``characters``: dicts with ``id``, ``name``, ``label``;
    ``speech_time``: seconds to say a text (default: estimated at :data:`ESTIMATE_WPM`).
    """
    timed = speech_time or estimated_speech_time
    how = "measured by the voice" if speech_time else f"estimated at {ESTIMATE_WPM:g} words/min, no voice"
    ordered = sorted(range(len(descriptions)), key=lambda i: (float(descriptions[i]["start"]), i))
    said_text = " ".join(str(d.get("text") or "") for d in descriptions)
    named: set[str] = set()
    previous = ""
    results: list[list[Finding]] = [[] for _ in descriptions]
    for i in ordered:
        d = descriptions[i]
        text = str(d.get("text") or "").strip()
        if not text:
            continue
        start, end = float(d["start"]), float(d["end"])
        facts = [f for f in d.get("facts") or [] if isinstance(f, dict)]
        fact_words = [w for f in facts for w in f.get("words", []) if isinstance(w, str)]
        out = sentence_findings(text, fact_words)
        times = [t for f in facts for t in _times(f)]
        if times and max(times) < start - LATE_TOLERANCE:
            out.append(_finding("late", (), f"its facts were last seen at {max(times):.2f} s, it starts at {start:.2f} s"))
        room = window(start, end, dialogue)
        words = len(text.split())
        if room > 0 and words * 60.0 / room > MAX_WPM:
            out.append(_finding("too_fast", (), f"{words} words in {room:.2f} s = {words * 60.0 / room:.0f} words/min"))
        seconds = timed(text)
        if seconds > room + 1e-6:
            out.append(_finding("too_long", (), f"{seconds:.2f} s of speech for {room:.2f} s, {how}"))
        overlapping = [(s, e) for s, e in dialogue if s < end and start < e]
        if overlapping:
            s, e = overlapping[0]
            out.append(_finding("dialogue", (), f"dialogue from {s:.2f} s to {e:.2f} s"))
        if previous:
            a, b = _content(previous), _content(text)
            if text.lower() == previous.lower() or (a | b and len(a & b) / len(a | b) >= REPEAT_JACCARD):
                out.append(_finding("repeat", sorted(a & b)))
            if len(_opening(text)) == 2 and _opening(text) == _opening(previous):
                out.append(_finding("opening", _opening(text)))
        for f in d.get("considered_facts") or []:
            if isinstance(f, dict) and f.get("kind") == "text" and str(f.get("value", "")).strip():
                value = str(f["value"]).strip()
                if value.lower() not in said_text.lower():
                    out.append(_finding("text_unread", (value,)))
        used_chars = {str(f.get("evidence", {}).get("character")) for f in facts if f.get("kind") == "character"}
        for c in characters:
            name = str(c.get("name") or "")
            label = re.sub(r"^(?:a|an|another)\s+", "", str(c.get("label") or ""))
            if str(c["id"]) in named:
                again = bool(label) and re.search(rf"\b(?:a|an)\s+{re.escape(label)}\b", unquoted(text), re.I)
                if not again and str(c["id"]) in used_chars and not _named(text, name):
                    again = _INDEFINITE_PERSON.search(unquoted(text))
                if again:
                    out.append(_finding("renamed", (again.group(0),), f"{name} was named before"))
            if _named(text, name):
                named.add(str(c["id"]))
        results[i] = out
        previous = text
    return results


def check_document(doc: dict[str, Any], speech_time: SpeechTime | None = None) -> list[list[Finding]]:
    """The findings of every description of an AD-script JSON document, in its order."""
    dialogue = [(float(iv["start"]), float(iv["end"])) for iv in doc.get("timeline", {}).get("dialogue", [])]
    return check_descriptions(doc.get("descriptions", []), dialogue, _characters(doc), speech_time)


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
