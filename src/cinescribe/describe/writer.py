"""Rule-based writing: AD sentences from a slot's facts, in the form the AD guides ask for.

The form (Netflix's AD style guide, ACB, DCMP, ITC): present tense, active voice, third person;
who does what, where; general to specific; after a scene change, a place or time cue first;
on-screen text read out in quotes; expressions as visible actions ("smiles", "frowns"), never
emotions; no camera words unless nothing else can be said; openings that differ from the AD before.

Subject: characters (through a ``refer(character_id, known)`` callable, or the character fact's
own name or label), else tracked or detected people by count, else objects.  Verbs: actions
(conjugated by the number who do them, with their object and direction), then the visible
expression, then the posture; with nothing the people are seen doing, a new subject "appears"
and a known one "remains".  Place: setting, indoors/outdoors, day/night.  Articles, plurals and
number words come from ``inflect``; verb forms from ``lemminflect``.

Every content word comes from a used fact's ``words`` (or is an inflection of one of them, e.g.
"walks" for an action whose words hold "walk"); the only other words are the closed list
:data:`FUNCTION_WORDS`.  :func:`candidates` offers up to five ranked alternatives for a slot
(different facts first, different wording second); :func:`write` returns the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Sequence

from .facts import Fact, inflect_engine, number_word
from .setting import SETTING_PHRASES

if TYPE_CHECKING:
    from .characters import CharacterReferences

FUNCTION_WORDS = frozenset(
    "a an the and with in on of to from as then their is are at by beside inside there appears appear remains "
    "remain screen view picture words".split()
)
Refer = Callable[[str, bool], str]
MAX_CANDIDATES = 5
ORDERS = ("plain", "place", "extras")  # the wordings of one fact set (see _sentences)
# Kinds the writer realises, in the order a sentence says them.
SPOKEN_KINDS = ("scene", "daylight", "place", "setting", "character", "people", "action", "expression",
                "posture", "object", "text", "fade", "light", "camera")
_ON_SURFACE = frozenset("beach street road bridge field platform stage shore lawn pavement sidewalk deck "
                        "roof rooftop pitch court track ice snow grass boat ship train bus".split())
_OPPOSITE = {"left": "right", "right": "left"}
_POSTURE_VERBS = {"standing": "stand", "sitting": "sit", "arms raised": "raise their arms", "lying down": "lie down"}


@dataclass(frozen=True)
class Written:
    """A sentence and the facts behind it (empty text: nothing measured fits the slot)."""

    text: str
    facts: tuple[Fact, ...]
    reason: str = ""
    polish: str = ""  # set by describe.polish.Polisher: "accepted; ...", "unchanged" or "rejected: <why>"
    alternatives: tuple["Written", ...] = field(default=(), compare=False)


def word_count(text: str) -> int:
    return len(text.split())


def content_words(text: str) -> list[str]:
    """Lower-case words of ``text`` without punctuation or quotes."""
    return [w for w in re.findall(r"[a-z0-9][a-z0-9'\-]*", text.lower())]


# ---------------------------------------------------------------------------------------------
# Morphology (inflect, lemminflect)


def with_article(noun: str) -> str:
    """``noun`` with "a" or "an" (by sound: "an umbrella", "a unicycle")."""
    return inflect_engine().a(noun)


@lru_cache(maxsize=1024)
def conjugate(lemma_phrase: str, singular: bool) -> str:
    """``"sit down"`` -> ``"sits down"`` (singular) or ``"sit down"``: the head verb inflected."""
    head, _, rest = lemma_phrase.partition(" ")
    if singular:
        from lemminflect import getInflection

        forms = getInflection(head, tag="VBZ")
        head = forms[0] if forms else head + "s"
    return f"{head} {rest}".strip()


@lru_cache(maxsize=4096)
def lemmas(word: str) -> frozenset[str]:
    """``word`` and every lemma lemminflect gives it (any part of speech)."""
    from lemminflect import getAllLemmas

    out = {word}
    for forms in getAllLemmas(word).values():
        out.update(forms)
    return frozenset(out)


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _capitalise(sentence: str) -> str:
    return sentence[:1].upper() + sentence[1:]


# ---------------------------------------------------------------------------------------------
# Phrases of one fact set


@dataclass
class _Parts:
    cue: list[str]  # place/time cue said first after a scene change
    subject: str
    plural: bool
    verbs: list[str]
    place: list[str]  # where (said after the verb unless a cue)
    extras: list[str]  # later sentences: objects, text, fades
    used: list[Fact]


def _noun_phrase(f: Fact, known: bool) -> str:
    """ "the cup" (known) or "a cup"; a plural thing ("green leaves": ``evidence["plural"]``) takes no "a"."""
    name = str(f.value)
    if known:
        return f"the {name}"
    return name if _plural(f) else with_article(name)


def _plural(f: Fact) -> bool:
    return bool(f.evidence.get("plural"))


def _setting_phrase(f: Fact, known: bool) -> str:
    noun = str(f.value)
    if noun in SETTING_PHRASES:  # the setting's own phrase ("by a lake", "beside a lawn")
        phrase = SETTING_PHRASES[noun]
        return re.sub(r"\b(?:a|an)\b", "the", phrase, count=1) if known else phrase
    prep = "on" if noun.split()[-1] in _ON_SURFACE else "in"
    return f"{prep} {_noun_phrase(f, known)}"


def _character_phrase(f: Fact, known: bool, refer: Refer | None) -> str:
    cid = str(f.evidence.get("character", f.key.split(":", 1)[-1]))
    if refer is not None:
        return refer(cid, known)
    name, label = f.evidence.get("name"), f.evidence.get("label")
    if name:
        return str(name)
    if label:
        return re.sub(r"^(?:a|an)\s+", "the ", str(label)) if known else str(label)
    return "the person" if known else "a person"


def _people_subject(count: int, known: bool, words: Sequence[str] | None = None) -> tuple[str, bool]:
    """The subject for ``count`` people; a number word only where ``words`` (the people fact's) has it."""
    if count == 1:
        return ("the person" if known else "a person"), False
    if count <= 10 and (words is None or number_word(count) in words):
        return (f"the {number_word(count)} people" if known else f"{number_word(count)} people"), True
    return "a group of people", True


def _action_phrase(f: Fact, singular: bool, known: Callable[[str], bool], terse: bool = False) -> str:
    phrase = conjugate(str(f.value), singular)
    obj = f.evidence.get("object")
    if obj:
        phrase += " " + (f"the {obj}" if known(f"object:{obj}") else with_article(str(obj)))
    elif str(f.value) == "hold":  # a hold measured by co-motion, the thing not named
        phrase += " something"
    direction = None if terse else f.evidence.get("direction")
    if direction in _OPPOSITE and str(f.value) == "enter":  # moving right, one enters from the left
        phrase += f" from the {_OPPOSITE[direction]}"
    elif direction in _OPPOSITE:
        phrase += f" to the {direction}"
    elif direction:
        phrase += f" {direction}"
    return phrase


def _parts(facts: Sequence[Fact], is_known: Callable[[str], bool], refer: Refer | None,
           terse: bool = False) -> _Parts | None:
    """The phrases of one fact set; ``terse`` leaves the actions' directions out (for a short gap)."""
    by_kind: dict[str, list[Fact]] = {}
    for f in facts:
        by_kind.setdefault(f.kind, []).append(f)
    one = {k: v[0] for k, v in by_kind.items()}
    used: list[Fact] = []
    cue: list[str] = []
    place: list[str] = []
    extras: list[str] = []

    scene = one.get("scene")
    setting, where, daylight = one.get("setting"), one.get("place"), one.get("daylight")
    place_bits = []
    if where is not None:
        place_bits.append((where, str(where.value)))
    if daylight is not None:
        place_bits.append((daylight, "at night" if daylight.value == "night" else "in daylight"))
    if setting is not None:
        place_bits.append((setting, _setting_phrase(setting, is_known(setting.key))))
    if scene is not None:
        used.append(scene)
        if place_bits:
            cue = [" ".join(text for _, text in place_bits)]
        else:
            cue = ["elsewhere"]
        used += [f for f, _ in place_bits]
    else:
        used += [f for f, _ in place_bits]
        place = [" ".join(text for _, text in place_bits)] if place_bits else []

    # Subject: characters, else people, else objects.
    subject, plural = "", False
    characters = by_kind.get("character", [])[:2]
    people = one.get("people")
    actions = list(by_kind.get("action", []))
    objects = by_kind.get("object", [])[:2]
    verbs: list[str] = []
    after: list[str] = []  # what other people in view do, said after the subject's own verbs
    if characters:
        used += characters
        subject = _join([_character_phrase(c, is_known(c.key), refer) for c in characters])
        plural = len(characters) > 1
        if people is not None and int(people.value) == len(characters) and set(content_words(subject)) & set(people.words):
            used.append(people)  # "the person" says the people count too
        count = len(characters)
        actions = [a for a in actions if int(a.evidence.get("count", 1)) == count and _action_fits(a, characters)]
    elif actions and int(actions[0].evidence.get("count", 1)) == 0:  # a hand with no tracked person
        known_hand = is_known("object:hand") or is_known(actions[0].key)
        subject, plural = ("the hand" if known_hand else "a hand"), False
        actions = actions[:1]
    elif people is not None or actions:
        count = int(people.value) if people is not None else int(actions[0].evidence.get("count", 1))
        if actions:
            count = int(actions[0].evidence.get("count", count)) or count
        if people is not None and int(people.value) == count:
            used.append(people)
        same = people is not None and int(people.value) == count
        subject, plural = _people_subject(count, same and is_known(people.key), people.words if same else None)
        others = [a for a in actions[1:] if not _tracks(a) & _tracks(actions[0]) and _tracks(a)
                  and not a.evidence.get("object")]
        actions = [a for a in actions if int(a.evidence.get("count", count)) == count and a not in others]
        if actions and others:  # other people doing something else: "and two move away"
            after.append(_others_phrase(others[0], is_known, terse))
            used.append(others[0])
    elif objects:
        used += objects
        subject = _join([_noun_phrase(o, is_known(o.key)) for o in objects])
        plural = len(objects) > 1 or _plural(objects[0])
        verbs.append("remain" if all(is_known(o.key) for o in objects) else "appear")
        objects = []
    if subject and not verbs:
        for a in actions[:2]:
            used.append(a)
            verbs.append(_action_phrase(a, not plural, is_known, terse))
        expression, posture = one.get("expression"), one.get("posture")
        if expression is not None and not plural:
            used.append(expression)
            verbs.insert(0, conjugate(str(expression.value), True))
        if posture is not None and len(verbs) < 2 and not actions:
            used.append(posture)
            verbs.append(conjugate(_POSTURE_VERBS.get(str(posture.value), str(posture.value)), not plural))
        if not verbs:
            verbs.append("remain" if all(is_known(f.key) for f in used if f.kind in ("people", "character"))
                         else "appear")
        verbs = [conjugate(v, not plural) if v in ("remain", "appear") else v for v in verbs] + after
    elif verbs:
        verbs = [conjugate(v, not plural) for v in verbs]
    held = {str(a.evidence["object"]) for a in used if a.kind == "action" and a.evidence.get("object")}
    used += [o for o in objects if str(o.value) in held]  # said as what is held
    objects = [o for o in objects if str(o.value) not in held and not is_known(o.key)]  # the known go unsaid
    if subject and objects:
        used += objects
        be = "are" if _plural(objects[0]) else "is"  # "there is a van and a car", "there are green leaves"
        extras.append(f"there {be} {_join([_noun_phrase(o, False) for o in objects])}")

    text, fade = one.get("text"), one.get("fade")
    if text is not None:
        used.append(text)
        if subject:
            extras.append(f'the words "{text.value}" appear on screen')
        else:
            subject, plural, verbs = f'the words "{text.value}"', True, ["appear on screen"]
    if fade is not None:
        used.append(fade)
        fading = "fades to black" if fade.value == "out" else "fades in from black"
        if subject:
            extras.append(f"the picture {fading}")
        else:
            subject, verbs = "the picture", [fading]
    if not subject:
        light, camera = one.get("light"), one.get("camera")
        if camera is not None:
            used.append(camera)
            subject, verbs = "the view", [str(camera.value)]
        elif light is not None:
            used.append(light)
            subject, verbs = "the picture", ["is dark"]
        elif scene is not None and cue != ["elsewhere"]:
            subject, verbs = "", []
        elif place:  # only where the slot is: "Outdoors in daylight beside a lawn."
            cue, place = place, []
        else:
            return None
    return _Parts(cue, subject, plural, verbs, place, extras, used)


def _tracks(action: Fact) -> set:
    return set(action.evidence.get("tracks") or ())


def _others_phrase(action: Fact, is_known: Callable[[str], bool], terse: bool = False) -> str:
    """What other people do, after the subject's verbs: "one leaves", "two move away"."""
    count = int(action.evidence.get("count", 1))
    return f"{number_word(count)} {_action_phrase(action, count == 1, is_known, terse)}"


def _action_fits(action: Fact, characters: Sequence[Fact]) -> bool:
    """Whether the characters are the ones tracked doing ``action`` (shared track ids), or the
    only one in view when the action has no tracks."""
    tracks = set(action.evidence.get("tracks") or ())
    if not tracks:
        return len(characters) == 1
    return all(tracks & set(c.evidence.get("tracks") or ()) for c in characters)


def _sentences(p: _Parts, order: str) -> str:
    """The text of ``p``; ``order``: ``plain`` (subject first, place after the verb), ``place``
    (place first) or ``extras`` (the object, text and fade sentences before the main one)."""
    clause = p.subject + (" " + " and ".join(p.verbs) if p.verbs else "")
    lead = list(p.cue)
    tail = list(p.place)
    if order == "place" and tail:
        lead, tail = lead + tail, []
    extras = [_capitalise(e) + "." for e in p.extras]
    if not clause.strip():  # a scene change with only its place: "Outdoors at night, in a street."
        main = ", ".join(lead)
    else:
        main = ", ".join([*lead, clause]) if lead else clause
        if tail:
            main += " " + " ".join(tail)
    if order == "extras":
        return " ".join([*extras, _capitalise(main) + "."])
    return " ".join([_capitalise(main) + ".", *extras])


def _realise(facts: Sequence[Fact], is_known: Callable[[str], bool], refer: Refer | None,
             order: str = "plain", terse: bool = False) -> tuple[str, list[Fact]]:
    p = _parts(facts, is_known, refer, terse)
    if p is None:
        return "", []
    return _sentences(p, order), p.used


def _fitting(facts: Sequence[Fact], budget: int, is_known, refer, order: str = "plain") -> tuple[str, list[Fact]]:
    """The wording ``order`` of ``facts`` within ``budget`` words: in full, else without the
    actions' directions; ``("", [])`` when neither fits."""
    for terse in (False, True):
        text, used = _realise(facts, is_known, refer, order, terse)
        if text and word_count(text) <= budget:
            return text, used
    return "", []


def _with_references(is_known: Callable[[str], bool], refer: Refer | None,
                     refs: "CharacterReferences | None") -> tuple[Callable[[str], bool], Refer | None]:
    """``is_known`` and ``refer`` that follow ``refs`` (when given) for characters."""
    if refs is None:
        return is_known, refer

    def known(key: str) -> bool:
        kind, _, cid = key.partition(":")
        return (kind == "character" and cid in refs.mentioned) or is_known(key)

    return known, refer or (lambda cid, _known: refs.phrase(cid))


def opening(text: str) -> tuple[str, ...]:
    """The first two words of ``text``, lower case (what "starting alike" compares)."""
    return tuple(content_words(text)[:2])


def _fill(candidates: Sequence[Fact], budget: int, is_known, refer) -> list[Fact]:
    """Greedy, in salience order, in passes: a fact that cannot make a sentence alone (an
    expression, a scene change) is tried again once a subject is chosen."""
    chosen: list[Fact] = []
    added = True
    while added:
        added = False
        for fact in candidates:
            if fact in chosen:
                continue
            sentence, _ = _fitting(sorted([*chosen, fact], key=candidates.index), budget, is_known, refer)
            if sentence:
                chosen = sorted([*chosen, fact], key=candidates.index)
                added = True
    return chosen


def candidates(
    facts: Sequence[Fact],
    budget: int,
    is_known: Callable[[str], bool] = lambda key: False,
    refer: Refer | None = None,
    previous: str = "",
    min_salience: float = 0.1,
    limit: int = MAX_CANDIDATES,
    refs: "CharacterReferences | None" = None,
) -> list[Written]:
    """Up to ``limit`` sentences for a slot, best first: different fact sets first (the greedy
    best set, then the sets that leave out one of its facts and fill the budget again), each in
    its first wording, then its second and third (:data:`ORDERS`); of a set's wordings, those
    that start like ``previous`` come last.  ``facts`` must be sorted most salient first."""
    is_known, refer = _with_references(is_known, refer, refs)
    pool = [f for f in facts if f.salience >= min_salience and f.kind in SPOKEN_KINDS]
    sets: list[list[Fact]] = []
    best = _fill(pool, budget, is_known, refer)
    if best:
        sets.append(best)
        for drop in best:
            alt = _fill([f for f in pool if f is not drop], budget, is_known, refer)
            if alt and {f.key for f in alt} not in [{f.key for f in s} for s in sets]:
                sets.append(alt)
    before = opening(previous)
    wordings: list[list[Written]] = []
    for chosen in sets:
        texts = []
        for order in ORDERS:
            text, used = _fitting(chosen, budget, is_known, refer, order)
            if text and text not in [w.text for w in texts]:
                texts.append(Written(text, tuple(used)))
        if before:
            texts.sort(key=lambda w: opening(w.text) == before)  # stable: keeps the rank otherwise
        wordings.append(texts)
    out: list[Written] = []
    for rank in range(len(ORDERS)):
        for texts in wordings:
            if rank < len(texts) and texts[rank].text not in [w.text for w in out]:
                out.append(texts[rank])
    return out[:limit]


def write(
    facts: Sequence[Fact],
    budget: int,
    is_known: Callable[[str], bool] = lambda key: False,
    min_salience: float = 0.1,
    refer: Refer | None = None,
    previous: str = "",
    refs: "CharacterReferences | None" = None,
) -> Written:
    """The best sentence for a slot within ``budget`` words (see :func:`candidates`), with the
    other candidates in ``alternatives``; an empty text with the reason when nothing fits.

    ``is_known(key)``: whether a fact was spoken in a recent slot (then "the", "remains");
    ``refer(character_id, known)``: how to call a character (or ``refs``, the script's
    :class:`~cinescribe.describe.characters.CharacterReferences`: its phrases, and a character it
    has mentioned counts as known); ``previous``: the AD before, whose opening the sentence avoids.
    """
    pool = [f for f in facts if f.salience >= min_salience]
    if not pool:
        return Written("", (), "no measured fact to describe")
    found = candidates(pool, budget, is_known, refer, previous, min_salience, refs=refs)
    if found:
        return Written(found[0].text, found[0].facts, alternatives=tuple(found[1:]))
    is_known, refer = _with_references(is_known, refer, refs)
    if not any(_realise([f], is_known, refer)[0] for f in pool):
        return Written("", (), "no measured fact can make a sentence (only " + ", ".join(f.kind for f in pool) + ")")
    return Written("", (), f"no fact fits the budget of {budget} words")


def unlicensed_words(written: Written) -> list[str]:
    """Words of the sentence that neither a used fact nor :data:`FUNCTION_WORDS` accounts for.

    A word is accounted for when it is a fact's word or shares a lemma with one ("walks" for
    "walk", "sits" for "sit"); an action fact also accounts for its measured object, direction
    and number of people ("two people" for an action with ``count`` 2)."""
    allowed = set(FUNCTION_WORDS)
    allowed_lemmas: set[str] = set()
    for f in written.facts:
        measured = list(f.words)
        if f.kind == "action":  # what the action was measured with: its object, direction, how many do it
            measured += [str(f.evidence.get(k, "")) for k in ("object", "direction")]
            measured.append(_OPPOSITE.get(str(f.evidence.get("direction")), ""))  # "enters from the left"
            measured.append(_people_subject(int(f.evidence.get("count", 1)), False)[0])
        for w in content_words(" ".join(measured)):
            allowed.add(w)
            allowed_lemmas |= lemmas(w)
    return [w for w in content_words(written.text) if w not in allowed and not lemmas(w) & allowed_lemmas]
