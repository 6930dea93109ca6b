"""A tiny GPT-2 and a BPE tokenizer trained in the test session (nothing downloaded)."""

from __future__ import annotations

from pathlib import Path

SENTENCES = [
    "Ann opens the door slowly and looks around the dark room.",
    "She smiles at him and picks up a glowing red kite from the table.",
    "A man walks into the kitchen carrying a small red box.",
    "Characters: Ann, Bob. Previously: Description: Dialogue: number 0 1 2 3 4 5 6 7 8 9",
    "The car stops outside the house in the rain. Ann sees Bob.",
]


def make_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.BPE())
    raw.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    raw.decoder = decoders.ByteLevel()
    raw.train_from_iterator(SENTENCES, trainers.BpeTrainer(
        vocab_size=330, special_tokens=["<pad>", "<eos>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    return PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", eos_token="<eos>", bos_token="<eos>")


def make_lm_dir(folder: Path, texts: list[str] = (), steps: int = 40) -> Path:
    """A 1-layer GPT-2 "pre-trained" for ``steps`` Adam steps on SENTENCES + ``texts`` (so that,
    frozen, its output depends on its input, as a real pretrained LM's does)."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    tokenizer = make_tokenizer()
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, n_positions=128, vocab_size=len(tokenizer),
                                    bos_token_id=1, eos_token_id=1, pad_token_id=0))
    enc = tokenizer([s + "<eos>" for s in [*SENTENCES, *texts]], padding=True, return_tensors="pt")
    labels = enc["input_ids"].masked_fill(enc["attention_mask"] == 0, -100)
    optimizer = torch.optim.Adam(lm.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = lm(**enc, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    lm.eval()
    lm.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder
