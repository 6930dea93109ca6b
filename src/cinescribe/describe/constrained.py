"""Constrained decoding: only tokens that keep the generated text a sentence of allowed words.

The allowed words (:func:`~.licence.allowed_words`) are a character trie, the :class:`Grammar`; each
token of a vocabulary is the piece of text it adds (:func:`token_surfaces`: ``"▁"``/``"Ġ"`` is a
space), and :class:`ConstrainedWords`, a transformers logits processor, masks every token whose
piece would take the text off the trie, over the word budget, or past the final ``"."``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence



class _Node:
    __slots__ = ("children", "entry", "min_words")

    def __init__(self) -> None:
        self.children: dict[str, _Node] = {}
        self.entry: str | None = None  # the word/quote ending here
        self.min_words = 1 << 30  # fewest words of an entry at or below this node


@dataclass(frozen=True)
class State:
    """Where a text is in the :class:`Grammar`.

    ``phase``: ``start`` (nothing yet; one leading space allowed), ``word`` (a word must begin),
    ``in`` (inside the word at ``node``), ``comma`` (after ``","``, a space must follow), ``end``
    (after the final ``"."``).  ``count``: words completed; ``last``: the last completed word.
    """

    phase: str
    node: _Node | None = field(default=None, compare=False)
    count: int = 0
    last: str = ""
    first: bool = True


class Grammar:
    """Sentences of allowed words: ``word (" " | ", ") word ... "."``, at most ``budget`` words.

    The first word may be capitalised; quotes are matched case-sensitively and verbatim; the
    same word may not follow itself.  A prefix is accepted only if it can still be completed
    within the budget.
    """

    def __init__(self, words: Iterable[str], quotes: Iterable[str] = (), budget: int = 1 << 30) -> None:
        self.budget = budget
        self.root = _Node()
        self.entries = sorted({*(w.lower() for w in words if w), *(q for q in quotes if q)})
        for entry in self.entries:
            n = max(1, len(entry.split()))
            node = self.root
            node.min_words = min(node.min_words, n)
            for ch in entry:
                node = node.children.setdefault(ch, _Node())
                node.min_words = min(node.min_words, n)
            node.entry = entry

    def start(self) -> State:
        return State("start")

    def _enter(self, state: State, ch: str) -> State | None:
        node = self.root.children.get(ch)
        if node is None and state.first and ch != ch.lower():
            node = self.root.children.get(ch.lower())
        if node is None or not self._viable(node, state):
            return None
        return State("in", node, state.count, state.last, state.first)

    def _viable(self, node: _Node, state: State) -> bool:
        """Whether a word at ``node`` can still be finished (within budget, not repeating)."""
        if state.count + node.min_words > self.budget:
            return False
        return bool(node.children) or node.entry != state.last

    def step(self, state: State, ch: str) -> State | None:
        """The state after one more character, or ``None`` if the text left the grammar."""
        phase = state.phase
        if phase == "start":
            if ch == " ":
                return State("word")
            return self._enter(state, ch)
        if phase == "word":
            return self._enter(state, ch)
        if phase == "comma":
            return State("word", None, state.count, state.last, False) if ch == " " else None
        if phase == "in":
            node = state.node
            assert node is not None
            child = node.children.get(ch)
            if child is not None:
                if not self._viable(child, state):
                    return None
                return State("in", child, state.count, state.last, state.first)
            entry = node.entry
            if entry is None or entry == state.last:
                return None
            count = state.count + max(1, len(entry.split()))
            if ch == ".":
                return State("end", None, count, entry, False)
            if ch in " ," and count < self.budget:
                return State("word" if ch == " " else "comma", None, count, entry, False)
            return None
        return None  # "end": nothing may follow

    def advance(self, state: State | None, text: str) -> State | None:
        for ch in text:
            if state is None:
                return None
            state = self.step(state, ch)
        return state

    def accepts(self, text: str) -> bool:
        state = self.advance(self.start(), text)
        return state is not None and state.phase == "end"

    def fragments(self) -> set[str]:
        """Every piece of text a single token may contribute (used to pre-select candidate tokens)."""
        out = {" ", ",", ".", ", "}
        for entry in self.entries:
            variants = {entry, entry[:1].upper() + entry[1:]}
            for e in variants:
                for i in range(len(e)):
                    for j in range(i + 1, min(len(e), i + 24) + 1):
                        piece = e[i:j]
                        out.add(piece)
                        if j == len(e):
                            out.update((piece + ".", piece + ",", piece + " ", piece + ", "))
                        if i == 0:
                            out.update((" " + piece, ", " + piece))
                            if j == len(e):
                                out.update((" " + piece + ".", " " + piece + ","))
        return out


def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte <-> printable character table (byte-level BPE vocabularies)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, map(chr, cs)))


_BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


def token_surfaces(tokenizer) -> list[str | None]:
    """The text each token id adds when decoded (``None``: special, added or byte tokens).

    Handles sentencepiece vocabularies (``"▁"`` = space) and byte-level BPE ones (``"Ġ"`` = space,
    via GPT-2's byte table).
    """
    size = len(tokenizer)
    pieces = tokenizer.convert_ids_to_tokens(list(range(size)))
    special = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}) or {})
    sample = [p for p in pieces[: min(size, 50000)] if isinstance(p, str)]
    byte_level = sum("Ġ" in p for p in sample) > sum("▁" in p for p in sample)
    decoder = {c: b for b, c in _bytes_to_unicode().items()} if byte_level else None
    out: list[str | None] = []
    for i, p in enumerate(pieces):
        if i in special or not isinstance(p, str) or not p or _BYTE_TOKEN.match(p):
            out.append(None)
            continue
        if decoder is not None:
            try:
                out.append(bytes(decoder[c] for c in p).decode("utf-8"))
            except (KeyError, UnicodeDecodeError):
                out.append(None)
        else:
            out.append(p.replace("▁", " "))
    return out


def _logits_processor_base():
    try:
        from transformers import LogitsProcessor
    except ImportError:  # pragma: no cover - the class is only used with transformers installed
        return object
    return LogitsProcessor


class ConstrainedWords(_logits_processor_base()):  # type: ignore[misc]
    """Masks every token that would take the generated text out of ``grammar``.

    ``surfaces``: the text of each token id (:func:`token_surfaces`); ``eos_ids``: the tokens
    that end generation, allowed only once the sentence is complete (or, as a way out, when no
    token can continue it); ``prompt_len``: length of the prompt in ``input_ids``.
    """

    def __init__(self, grammar: Grammar, surfaces: Sequence[str | None], eos_ids: Sequence[int],
                 prompt_len: int, index: dict[str, list[int]] | None = None) -> None:
        self.grammar = grammar
        self.surfaces = surfaces
        self.eos_ids = list(eos_ids)
        self.prompt_len = prompt_len
        if index is None:
            index = {}
            for i, s in enumerate(surfaces):
                if s:
                    index.setdefault(s, []).append(i)
        self.candidates = sorted({i for frag in grammar.fragments() for i in index.get(frag, ())})

    def text_of(self, ids: Sequence[int]) -> str:
        return "".join(self.surfaces[i] or "" for i in ids)

    def allowed(self, generated: Sequence[int]) -> list[int]:
        """Token ids allowed after ``generated`` (the ids produced so far, prompt excluded)."""
        state = self.grammar.advance(self.grammar.start(), self.text_of(generated))
        if state is None or state.phase == "end":
            return list(self.eos_ids)
        ok = [i for i in self.candidates if self.grammar.advance(state, self.surfaces[i] or "") is not None]
        return ok or list(self.eos_ids)

    def __call__(self, input_ids, scores):
        import torch

        mask = torch.full_like(scores, float("-inf"))
        for row in range(input_ids.shape[0]):
            ids = [i for i in self.allowed(input_ids[row, self.prompt_len:].tolist()) if i < scores.shape[-1]]
            mask[row, ids] = 0.0
        return scores + mask
