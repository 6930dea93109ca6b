"""Rule-based writing: one AD sentence from a slot's facts, within its word budget.

Every content word of the sentence comes from a fact's ``words``; the only other words are
the closed list :data:`FUNCTION_WORDS` (articles, prepositions, "appears", "on screen").
:func:`write` tries the facts in order of (novelty-weighted) salience and drops the least
salient until the sentence fits the budget; it returns the sentence with the facts it used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable, Sequence

from .facts import Fact
from .setting import place_phrase

if TYPE_CHECKING:
    from .characters import CharacterReferences

FUNCTION_WORDS = frozenset(
    "a an the and with in on of to from as then their is are appears appear remains remain "
    "screen view picture words mostly at by beside inside".split()
)
_VERB = {
    # posture -> (singular, plural)
    "standing": ("stands", "stand"),
    "sitting": ("sits", "sit"),
    "arms raised": ("raises their arms", "raise their arms"),
    "lying down": ("lies down", "lie down"),
}
_NUMBER = {2: "Two", 3: "Three", 4: "Four", 5: "Five", 6: "Six"}


@dataclass(frozen=True)
class Written:
    """A sentence and the facts behind it (empty text: nothing measured fits the slot)."""

    text: str
    facts: tuple[Fact, ...]
    reason: str = ""
    polish: str = ""  # set by describe.polish.Polisher: "accepted; ...", "unchanged" or "rejected: <why>"


def word_count(text: str) -> int:
    return len(text.split())


def content_words(text: str) -> list[str]:
    """Lower-case words of ``text`` without punctuation or quotes."""
    return [w for w in re.findall(r"[a-z0-9][a-z0-9'\-]*", text.lower())]


def _article(word: str) -> str:
    return "an" if word[:1].lower() in "aeiou" else "a"


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _realise(facts: Sequence[Fact], is_known: Callable[[str], bool],
             refs: "CharacterReferences | None" = None) -> tuple[str, list[Fact]]:
    """The sentence for ``facts`` and the facts it actually expresses (characters named by ``refs``)."""
    by_kind: dict[str, list[Fact]] = {}
    for f in facts:
        by_kind.setdefault(f.kind, []).append(f)
    first = {k: v[0] for k, v in by_kind.items()}
    objects = [f for f in by_kind.get("object", [])][:2]
    people, expr, posture = first.get("people"), first.get("expression"), first.get("posture")
    text, fade, light, colour = first.get("text"), first.get("fade"), first.get("light"), first.get("colour")
    camera, scale, scene, cuts = first.get("camera"), first.get("scale"), first.get("scene"), first.get("cuts")
    where, where_facts = place_phrase(facts)

    def obj_phrase(f: Fact) -> str:
        return f"the {f.value}" if is_known(f.key) else f"{_article(str(f.value))} {f.value}"

    subject = verb = ""
    text_used = fade_used = False
    extras: list[str] = []
    used: list[Fact] = []
    characters = [f for f in by_kind.get("character", []) if refs is not None and f.value in refs][:2]
    if characters:
        used += [*characters, *(f for f in (posture,) if f), *objects]
        if people and int(people.value) == len(characters):
            used.append(people)
        subject = _join([refs.phrase(str(f.value)) for f in characters])
        plural = len(characters) > 1
        known = all(str(f.value) in refs.mentioned for f in characters)
        if posture:
            verb = _VERB[str(posture.value)][1 if plural else 0]
        else:
            verb = ("remain" if plural else "remains") if known else ("appear" if plural else "appears")
        if expr and not plural:
            used.append(expr)
            extras.append(str(expr.value))
        if objects:
            extras.append("with " + _join([obj_phrase(o) for o in objects]) + " in view")
    elif people:
        used += [people, *(f for f in (expr, posture) if f), *objects]
        count = int(people.value)
        adj = f"{expr.value} " if expr else ""
        known = is_known(people.key)
        if count == 1:
            subject = f"{'the' if known else _article(adj or 'p')} {adj}person"
        elif count in _NUMBER:
            subject = f"{'the ' + _NUMBER[count].lower() if known else _NUMBER[count]} {adj}people"
        else:
            subject = f"a group of {adj}people"
        plural = count > 1
        if posture:
            verb = _VERB[str(posture.value)][1 if plural else 0]
        else:
            verb = ("remain" if plural else "remains") if known else ("appear" if plural else "appears")
        if objects:
            extras.append("with " + _join([obj_phrase(o) for o in objects]) + " in view")
    elif objects:
        used += objects
        subject = _join([obj_phrase(o) for o in objects])
        plural = len(objects) > 1
        known = all(is_known(o.key) for o in objects)
        verb = ("remain" if plural else "remains") if known else ("appear" if plural else "appears")
    elif text:
        used.append(text)
        subject, verb, text_used = f'the words "{text.value}"', "appear on screen", True
    elif fade:
        used.append(fade)
        subject, fade_used = "the picture", True
        verb = "fades to black" if fade.value == "out" else "fades in from black"
    elif light or colour:
        used += [f for f in (light, colour) if f]
        adjs = [w for w in (light.value if light else None, f"mostly {colour.value}" if colour else None) if w]
        subject, verb = "the picture", "is " + " and ".join(adjs)
    elif camera:
        used.append(camera)
        subject, verb = "the camera", str(camera.value)
    elif scene:
        used.append(scene)
        subject, verb = "the scene", "changes"
    if not subject and where:
        return where[0].upper() + where[1:] + ".", where_facts
    if not subject:
        return "", []
    if where:
        used += where_facts
        extras.insert(0, where)
    if text and not text_used:
        used.append(text)
        extras.append(f'the words "{text.value}" on screen')
    if fade and not fade_used:
        used.append(fade)
        extras.append("then the picture fades to black" if fade.value == "out" else "as the picture fades in from black")
    if camera and camera not in used:
        used.append(camera)
        extras.append(f"as the camera {camera.value}")
    if light and light not in used:
        used.append(light)
        extras.append("in darkness")
    prefix = ""
    for fact, words in ((scene, "in a new scene, "), (scale, None), (cuts, "in quick cuts, ")):
        if fact and fact not in used:
            used.append(fact)
            prefix = words or ("in close-up, " if fact.value == "close-up" else "in a wide shot, ")
            break
    sentence = prefix + subject + " " + verb
    for extra in extras:
        sentence += ", " + extra
    return sentence[0].upper() + sentence[1:] + ".", used


def write(
    facts: Sequence[Fact],
    budget: int,
    is_known: Callable[[str], bool] = lambda key: False,
    min_salience: float = 0.1,
    refs: "CharacterReferences | None" = None,
) -> Written:
    """A sentence of the most salient facts that fits ``budget`` words.

    Greedy: facts are taken in order and each is kept if the sentence with it still fits.
    ``facts`` must be sorted most salient first; ``is_known(key)`` says whether a fact was
    spoken in a recent slot (then it is referred to with "the" and "remains").  ``character``
    facts become the subject, referred to as ``refs`` says (a label, "the ...", or a name).
    """
    candidates = [f for f in facts if f.salience >= min_salience]
    if not candidates:
        return Written("", (), "no measured fact to describe")
    chosen: list[Fact] = []
    best: tuple[str, list[Fact]] = ("", [])
    for fact in candidates:
        sentence, used = _realise([*chosen, fact], is_known, refs)
        if sentence and word_count(sentence) <= budget:
            chosen.append(fact)
            best = (sentence, used)
    if best[0]:
        return Written(best[0], tuple(best[1]))
    if not any(_realise([f], is_known, refs)[0] for f in candidates):
        return Written("", (), "no measured fact can make a sentence (only " + ", ".join(f.kind for f in candidates) + ")")
    return Written("", (), f"no fact fits the budget of {budget} words")


def unlicensed_words(written: Written) -> list[str]:
    """Words of the sentence that neither a used fact nor :data:`FUNCTION_WORDS` accounts for."""
    allowed = set(FUNCTION_WORDS)
    for f in written.facts:
        allowed.update(w.lower() for w in content_words(" ".join(f.words)))
    return [w for w in content_words(written.text) if w not in allowed]
