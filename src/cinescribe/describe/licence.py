"""What a polished sentence may say and must say: the words its facts license, and the check of a result.

:func:`allowed_words` are the words a rephrasing of a rule sentence may use (function words and the
words of its facts, with their own inflections; on-screen text only as its verbatim quote);
:func:`fact_expressed` says whether a text still expresses a fact; :func:`check` is the verification
:class:`~.polish.Polisher` applies to every result before it replaces the rule sentence.
"""

from __future__ import annotations

from typing import Iterable

from .facts import Fact
from .writer import FUNCTION_WORDS, Written, content_words, unlicensed_words, word_count


def allowed_words(facts: Iterable[Fact]) -> tuple[frozenset[str], tuple[str, ...]]:
    """(free words, quoted phrases) the polished sentence may use for ``facts``.

    Free words: :data:`FUNCTION_WORDS` and the lower-case content words of every non-text fact.
    The words of an on-screen text are allowed only inside its verbatim quote ``"<value>"``.
    """
    words = set(FUNCTION_WORDS)
    quotes: list[str] = []
    for f in facts:
        if f.kind == "text":
            quotes.append(f'"{f.value}"')
        else:
            words.update(content_words(" ".join(f.words)))
    return frozenset(words), tuple(dict.fromkeys(quotes))


def required_words(fact: Fact) -> list[tuple[str, ...]]:
    """Alternatives of words that must all be present for ``fact`` to count as expressed.

    At least one of the fact's words, and for facts whose meaning hangs on one word, that word:
    the number of people, every word of an object's name, the direction of a camera move, the
    scale word.  (Text facts are checked as verbatim quotes instead.)
    """
    words = tuple(dict.fromkeys(content_words(" ".join(fact.words))))
    if fact.kind == "people":
        count = int(fact.value)
        return [("person",)] if count == 1 else [(words[0],)]
    if fact.kind == "object":
        return [words]
    if fact.kind == "camera":
        return [(str(fact.value).split()[-1],)]
    if fact.kind == "scale":
        return [(words[0],)]
    return [(w,) for w in words]


def fact_expressed(fact: Fact, text: str) -> bool:
    """Whether ``text`` still says ``fact`` (see :func:`required_words`).

    A camera move must keep its words together (``pans left``); a fade must keep its direction
    (``fades in``/``from black`` only for a fade-in).
    """
    if fact.kind == "text":
        return f'"{fact.value}"' in text
    flat = " ".join(content_words(text))
    if fact.kind == "camera" and str(fact.value) not in flat:  # "pans left" together
        return False
    if fact.kind == "fade":  # the direction rests on function words: "fades to" / "fades in from"
        into = "fades in" in flat or "from black" in flat
        if into != (fact.value == "in"):
            return False
    said = set(content_words(text))
    return any(all(w in said for w in alt) for alt in required_words(fact))


# Prepositions that would place an object somewhere ("in a car", "on the table"): no fact backs
# a spatial relation, so an object may only follow "with", "and", a comma or start the sentence.
_PLACING = frozenset({"in", "on", "from", "to", "of", "as", "then"})


def unbacked_relations(text: str, facts: Iterable[Fact]) -> list[str]:
    """Object phrases that ``text`` puts after a placing preposition (``"in a car"``)."""
    words = content_words(text)
    out = []
    for f in facts:
        if f.kind != "object":
            continue
        name = content_words(str(f.value))
        for i in range(len(words) - len(name) + 1):
            if words[i:i + len(name)] != name:
                continue
            j = i - 1
            while j >= 0 and words[j] in ("a", "an", "the"):
                j -= 1
            if j >= 0 and words[j] in _PLACING:
                out.append(" ".join(words[j:i + len(name)]))
    return out


def check(polished: str, rule: Written, budget: int) -> str:
    """Why ``polished`` may not replace ``rule`` (empty string: it may)."""
    text = polished.strip()
    if not text:
        return "empty output"
    if not text.endswith("."):
        return "unfinished sentence"
    bad = unlicensed_words(Written(text, rule.facts))
    if bad:
        return "unlicensed words: " + ", ".join(dict.fromkeys(bad))
    if word_count(text) > budget:
        return f"{word_count(text)} words over the budget of {budget}"
    missing = [f.key for f in rule.facts if not fact_expressed(f, text)]
    if missing:
        return "facts no longer said: " + ", ".join(missing)
    placed = unbacked_relations(text, rule.facts)
    if placed:
        return "unbacked relation: " + ", ".join(placed)
    _, quotes = allowed_words(rule.facts)
    rest = text
    for q in quotes:
        rest = rest.replace(q, "")
    if '"' in rest:
        return "quoted text changed"
    content = [w for w in content_words(rest) if w not in FUNCTION_WORDS]
    repeated = sorted({w for w in content if content.count(w) > 1})
    if repeated:
        return "repeated words: " + ", ".join(repeated)
    return ""
