"""The full AD model on a tiny GPT-2 and a tokenizer trained in the test (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from cinescribe.errors import InputError, MissingDependencyError
from cinescribe.models import (
    ADModel,
    GenerationSettings,
    PreviousWordsPenalty,
    build_prompt,
    create_model,
    distinctive_words,
    encode_prompts,
    encode_targets,
    get_config,
    penalised_token_ids,
)

SENTENCES = [
    "Harry opens the door slowly and looks around the dark room.",
    "She smiles at him and picks up a glowing wand from the table.",
    "A man walks into the kitchen carrying a small red box.",
    "Characters: Harry, Ann. Previously: Description: Dialogue:",
    "The car stops outside the house in the rain.",
]
B, N, T, S, D = 2, 3, 4, 5, 16
TINY = {"vision_dim": D, "resampler.dim": 16, "resampler.num_latents": 3, "resampler.depth": 1,
        "resampler.heads": 2, "resampler.dim_head": 8, "resampler.ff_mult": 2, "ema.num_bases": 4}


@pytest.fixture(scope="module")
def lm_dir(tmp_path_factory) -> Path:
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(SENTENCES, trainers.BpeTrainer(
        vocab_size=330, special_tokens=["<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", eos_token="<eos>", bos_token="<eos>")
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(GPT2Config(n_layer=2, n_embd=32, n_head=2, n_positions=128, vocab_size=len(tokenizer),
                                    bos_token_id=1, eos_token_id=1, pad_token_id=0))
    folder = tmp_path_factory.mktemp("tiny-lm")
    lm.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def tiny(lm_dir: Path, name: str = "cinescribe-ad", **extra) -> ADModel:
    torch.manual_seed(1)
    model = create_model(name, {**TINY, "lm_path": str(lm_dir), **extra})
    return model.eval()


def batch(tokenizer) -> dict[str, torch.Tensor]:
    torch.manual_seed(2)
    ads = [["Harry opens the door.", "He looks around the dark room.", "She smiles."],
           ["A man walks into the kitchen.", "The car stops outside."]]  # second film: 2 clips
    prompts = [[build_prompt(["Harry"], row[:j]) for j in range(len(row))] for row in ads]
    distinct = [[distinctive_words(ad, [o for o in row if o != ad], ["Harry"]) for ad in row] for row in ads]
    clip_mask = torch.tensor([[True, True, True], [True, True, False]])
    return {"frames": torch.randn(B, N, T, D), "frame_mask": torch.ones(B, N, T, dtype=torch.bool),
            "scene": torch.randn(B, N, S, D), "scene_mask": torch.ones(B, N, S, dtype=torch.bool),
            "clip_mask": clip_mask, **encode_prompts(tokenizer, prompts), **encode_targets(tokenizer, ads, distinct)}


def test_forward_shapes_losses_and_gradients(lm_dir):
    model = tiny(lm_dir, dist_weight=0.5)
    inputs = batch(model.tokenizer)
    out = model(**inputs)
    assert out.gate.shape == (B, N) and out.token_logp.shape[0] == 5  # padded clip dropped
    assert torch.isclose(out.loss, out.loss_auto + 0.5 * out.loss_dist)
    assert 0 < out.loss_dist < out.loss_auto
    out.loss.backward()
    for module in (model.resampler, model.gate, model.ema, model.projector):
        assert all(p.grad is not None for p in module.parameters())
    assert all(not p.requires_grad and p.grad is None for p in model.decoder.lm.parameters())


def test_distinct_mask_marks_the_distinctive_word_tokens(lm_dir):
    model = tiny(lm_dir)
    enc = encode_targets(model.tokenizer, [["She smiles at the door."]], [[{"smiles"}]])
    ids, flags = enc["target_ids"][0, 0], enc["distinct_mask"][0, 0]
    assert model.tokenizer.decode(ids[flags]).strip() == "smiles"
    assert ids[enc["target_mask"][0, 0]][-1] == model.tokenizer.eos_token_id


def test_padded_clip_changes_nothing(lm_dir):
    model = tiny(lm_dir)
    inputs = batch(model.tokenizer)
    base = model(**inputs).loss
    inputs["frames"][1, 2] = 1000.0
    inputs["scene"][1, 2] = -1000.0
    assert torch.allclose(model(**inputs).loss, base)


def test_token_logprobs_equal_a_direct_lm_call(lm_dir):
    model = tiny(lm_dir, name="prefix-baseline")
    inputs = batch(model.tokenizer)
    prefix, _ = model.encode_visual(inputs["frames"])
    logp = model(**inputs).token_logp  # rows: clips (0,0), (0,1), (0,2), (1,0), (1,1)
    lm, emb = model.decoder.lm, model.decoder.lm.get_input_embeddings()
    for row, (i, j) in enumerate([(0, 1), (1, 0)]):
        p = inputs["prompt_ids"][i, j][inputs["prompt_mask"][i, j]]
        t = inputs["target_ids"][i, j][inputs["target_mask"][i, j]]
        seq = torch.cat([prefix[i, j], emb(p), emb(t)])[None]
        direct = torch.log_softmax(lm(inputs_embeds=seq).logits[0], -1)
        start = prefix.shape[2] + len(p)
        expected = direct[start - 1:start - 1 + len(t)].gather(-1, t[:, None]).squeeze(-1)
        got = logp[[1, 3][row], :len(t)]
        assert torch.allclose(got, expected, atol=1e-5)


def test_generate_respects_budgets_padding_and_batching(lm_dir):
    model = tiny(lm_dir)
    inputs = batch(model.tokenizer)
    visual = {k: inputs[k] for k in ("frames", "frame_mask", "scene", "scene_mask", "clip_mask")}
    budgets = [[4, 2, 3], [5, 1, 0]]
    gen = model.generate(prompt_ids=inputs["prompt_ids"], prompt_mask=inputs["prompt_mask"],
                         word_budgets=budgets, **visual)
    assert gen.texts[1][2] == "" and gen.gate.shape == (B, N)
    for i, j in [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]:
        n_tokens = len(model.tokenizer(gen.texts[i][j], add_special_tokens=False)["input_ids"])
        assert 0 < n_tokens <= int(budgets[i][j] * 1.5 + 0.999) + 1
    prefix, _ = model.encode_visual(**visual)
    alone = model.decoder.generate(prefix[0, 1:2], inputs["prompt_ids"][0, 1:2], inputs["prompt_mask"][0, 1:2],
                                   [4], GenerationSettings())
    both = model.decoder.generate(prefix[0, :2], inputs["prompt_ids"][0, :2], inputs["prompt_mask"][0, :2],
                                  [16, 4], GenerationSettings())
    assert both[1] == alone[0]  # left padding in a batch gives the same greedy continuation
    only = torch.zeros(B, N, dtype=torch.bool)
    only[0, 2] = True
    some = model.generate(prompt_ids=inputs["prompt_ids"], prompt_mask=inputs["prompt_mask"], word_budgets=budgets,
                          write_mask=only, **visual)
    assert some.texts == [["", "", gen.texts[0][2]], ["", "", ""]]  # the rest still shapes the context only
    for strategy in ("beam", "sample"):
        out = model.generate(prompt_ids=inputs["prompt_ids"], prompt_mask=inputs["prompt_mask"], word_budgets=budgets,
                             settings=GenerationSettings(strategy=strategy, num_beams=2), **visual)
        assert len(out.texts) == B and all(isinstance(t, str) for row in out.texts for t in row)


def test_previous_words_penalty_changes_argmax():
    scores = torch.tensor([[0.0, 3.0, 2.0, 1.0], [0.0, 3.0, 2.0, 1.0]])
    out = PreviousWordsPenalty([{1}, set()], penalty=2.0)(torch.zeros(2, 1, dtype=torch.long), scores)
    assert out[0].argmax() == 2 and out[1].argmax() == 1 and out[0, 1] == 1.0
    beams = PreviousWordsPenalty([{1}, {2}], penalty=5.0, num_beams=2)(None, torch.ones(4, 3))
    assert beams[:, 1].tolist() == [-4.0, -4.0, 1.0, 1.0] and beams[:, 2].tolist() == [1.0, 1.0, -4.0, -4.0]


def test_penalty_keeps_previous_words_out_of_generation(lm_dir):
    model = tiny(lm_dir)
    inputs = batch(model.tokenizer)
    prefix, _ = model.encode_visual(inputs["frames"], scene=inputs["scene"])
    args = (prefix[0, :1], inputs["prompt_ids"][0, :1], inputs["prompt_mask"][0, :1], [12], GenerationSettings())
    plain = model.decoder.generate(*args)[0]
    words = model.tokenizer.decode(plain)
    banned = penalised_token_ids(model.tokenizer, [words])
    assert banned & set(plain)  # the test can fail: the plain output uses penalised tokens
    penalised = model.decoder.generate(*args, [PreviousWordsPenalty([banned], penalty=1e4)])[0]
    assert not banned & set(penalised)


def test_save_pretrained_round_trip(lm_dir, tmp_path):
    model = tiny(lm_dir)
    inputs = batch(model.tokenizer)
    with torch.no_grad():
        model.projector.bias.add_(0.3)  # differ from a fresh init
    model.save_pretrained(tmp_path / "ckpt")
    saved = load_file(str(tmp_path / "ckpt" / "model.safetensors"))
    assert saved and not any(k.startswith("decoder.lm.") for k in saved)  # frozen LM referenced by path
    loaded = ADModel.from_pretrained(tmp_path / "ckpt").eval()
    assert torch.equal(loaded(**inputs).loss, model(**inputs).loss)
    gen_args = dict(prompt_ids=inputs["prompt_ids"], prompt_mask=inputs["prompt_mask"], word_budgets=[[3] * 3] * 2,
                    frames=inputs["frames"], scene=inputs["scene"], clip_mask=inputs["clip_mask"])
    assert loaded.generate(**gen_args).texts == model.generate(**gen_args).texts


def test_unfrozen_lm_with_tied_embeddings_round_trips(lm_dir, tmp_path):
    model = tiny(lm_dir, freeze_lm=False)
    lm = model.decoder.lm
    assert lm.get_input_embeddings().weight.data_ptr() == lm.get_output_embeddings().weight.data_ptr()
    inputs = batch(model.tokenizer)
    with torch.no_grad():
        lm.get_input_embeddings().weight.add_(0.01)  # the trained LM differs from the one on disk
    model.save_pretrained(tmp_path / "ckpt")
    loaded = ADModel.from_pretrained(tmp_path / "ckpt").eval()
    assert torch.equal(loaded(**inputs).loss, model(**inputs).loss)


def test_lora_trains_only_adapters_and_round_trips(lm_dir, tmp_path):
    model = tiny(lm_dir, name="distinctad", **{"lora.enabled": True, "lora.rank": 2})
    lm_trainable = [n for n, p in model.decoder.lm.named_parameters() if p.requires_grad]
    assert lm_trainable and all("lora_" in n for n in lm_trainable)
    inputs = batch(model.tokenizer)
    model(**inputs).loss.backward()
    assert all(p.grad is not None for n, p in model.decoder.lm.named_parameters() if "lora_B" in n)
    assert model.projector.weight.grad is not None
    with torch.no_grad():
        for n, p in model.decoder.lm.named_parameters():
            if "lora_B" in n:
                p.normal_()
    model.save_pretrained(tmp_path / "lora")
    assert any("lora_" in k for k in load_file(str(tmp_path / "lora" / "model.safetensors")))
    loaded = ADModel.from_pretrained(tmp_path / "lora").eval()
    assert torch.equal(loaded(**inputs).loss, model(**inputs).loss)


def test_registry_and_checkpoint_errors(lm_dir, tmp_path):
    assert get_config("dante-ad").resampler.kind == "qformer" and get_config("dante-ad").dual_vision
    assert get_config("distinctad", {"ema.alpha": 0.0}).ema.alpha == 0.0
    with pytest.raises(InputError, match="unknown model"):
        get_config("nope")
    with pytest.raises(InputError, match="unknown config key 'ema.gamma'"):
        get_config("distinctad", {"ema.gamma": 1})
    with pytest.raises(InputError, match="ema.num_bases must be an integer"):
        get_config("distinctad", {"ema.num_bases": "32"})
    config = get_config("distinctad", {"ema.tau": None, "lora.target_modules": ["c_attn"]})
    assert config.lora.target_modules == ("c_attn",)
    with pytest.raises(InputError, match="resampler kind"):
        get_config("distinctad", {"resampler.kind": "lstm"})
    with pytest.raises(InputError, match="not a cinescribe checkpoint"):
        ADModel.from_pretrained(tmp_path)
    with pytest.raises(InputError, match="lm_path"):
        create_model("distinctad")
    with pytest.raises(MissingDependencyError, match="no language model"):
        create_model("distinctad", {"lm_path": str(tmp_path / "missing")})
