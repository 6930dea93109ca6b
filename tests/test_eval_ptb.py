"""The Python PTB tokenisation equals pycocoevalcap's jar on every real AD, on hostile text and per batch."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest

from cinescribe.errors import InputError
from cinescribe.evaluate import ptb
from cinescribe.evaluate.metrics import caption_metrics
from cinescribe.evaluate.ptb_rules import tokenize_line

pytest.importorskip("pycocoevalcap")
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer  # noqa: E402

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"
COLUMNS = {"tvad_train.csv": ("text_gt", "text_gt_wo_char"), "tvad_eval.csv": ("text",), "cmdad_eval.csv": ("text",)}

ADVERSARIAL = [
    "He says \"hi\" (to her) -- then leaves...", "Don't, can't, won't, ain't, shan't, DON'T, Can't.",
    "I'm here; you're there; we'll see; they've gone; she'd go; it's his.", "The dogs' bowls and James' hat.",
    "Gonna, gotta, wanna, cannot, lemme, gimme; Gonna' cannot's", "'Tis 'twas 'em 'til 'cause the '90s and '80",
    "O'Brien, d'Artagnan, rock'n'roll, y'all, ol' Dunkin' somethin' cont'd c'mon li'l", "Mr. Smith, Mrs. Jones, Ms. Lee, Dr. Who.",
    "Mr.", "Walt Jr.", "etc.", "St. Nick and Co. and Inc.", "Plan B.", "He", "The letter I.", "According to him",
    "U.S. forces", "e.g. this, i.e. that", "a.m. p.m. 3 p.m. 8.11 a.m.", "It's 3.46pm, 1,000 men, 10:30, .5, 3.5-inch",
    "Call 555 1234 or (555) 123-4567 or 555-1234.", "A well-known x-ray; a self-aware pro- and anti- war man-",
    "Wait!What? Really?! No!!! Hmm?? ..... .. . . . ...", "- -- --- ---- ----- ------ -x x- -5 +5",
    "smile :) wink ;) sad :( grin :D tongue :P (x.x) (-_-) (x-x) (')", "word.,word word., Alex. Wm. vs. cf. fig. 3 no. 5",
    "Here's the café — “quoted” ‘single’ … ½ naïve Émile", "A&B & co. $5 50% #tag @name <b>bold</b> a/b 1/2 1 1/2",
    "tab\tseparated\t words", "", "   ", "x", "(", ")", "''", "'", '"', "The end.", "He nods.\tShe smiles.",
    "-LRB- -RRB- *NL* \\* \\/", "The C++ code, c# and F# too", "Mr.Smith e.g.5 www.site.com file.txt a@b.com",
    "He's-all-right look; jack-o'-lantern; mother-in-law's; 1990's 80s", "Ü ß ı İ ﬁ", "Cap'n c'est nor'easter",
]


PIECES = ["he", "She", "DON'T", "can't", "won't", "I'm", "it's", "dogs'", "Mr.", "Dr.", "Jr.", "St.", "no.", "x", "I",
          "a", "B.", "U.S.", "well-known", "1990s", "3.5", "1,000", "10:30", "555", "1234", "gonna", "Cannot", "O'Brien",
          "Gul'dan", "o'clock", "y'all", "ol'", "'em", "'90s", "co.", "etc.", "vs.", "Alex.", "pro-", "R2D2", "HE'S",
          "He'll", "nods", "The", "o", "p", "D", "P", "O", *".,!?;:'\"()-", "...", "--", "?!", "-----", "''", "``"]


def _fuzz(seed: int, n: int) -> list[str]:
    """Lines of AD-like words, punctuation and random characters of the rules' alphabet, glued or spaced."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?;:'\"()- "
    lines = []
    for _ in range(n):
        parts = [rng.choice(PIECES) if rng.random() < 0.85 else
                 "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(rng.randint(0, 9))]
        lines.append("".join(("" if rng.random() < 0.3 else " ") + p for p in parts))
    return lines


def _real_ads() -> list[str]:
    texts: list[str] = []
    for name, cols in COLUMNS.items():
        with open(ANN / name, newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                texts.extend(row[c] for c in cols)
    return list(dict.fromkeys(texts))


def _reference(sentences: list[str]) -> list[str]:
    """pycocoevalcap's own PTBTokenizer over the batch, in order."""
    out = PTBTokenizer().tokenize({i: [{"caption": s}] for i, s in enumerate(sentences)})
    return [out[i][0] for i in range(len(sentences))]


@pytest.mark.slow
@pytest.mark.skipif(not (ANN / "tvad_train.csv").is_file(), reason="shared/data/ad-annotations not found")
def test_rules_equal_the_jar_on_every_real_ad():
    texts = _real_ads()
    assert len(texts) > 50000
    reference = _reference(texts)
    ours = [tokenize_line(s) for s in texts]
    covered = [(o, r) for o, r in zip(ours, reference) if o is not None]
    assert len(covered) > 0.99 * len(texts)
    assert [o for o, _ in covered] == [r for _, r in covered]
    assert ptb.tokenize(texts, cache=False) == reference


def test_adversarial_text_equals_the_jar():
    reference = _reference(ADVERSARIAL)
    assert ptb.tokenize(ADVERSARIAL, cache=False) == reference
    for s, r in zip(ADVERSARIAL, reference):
        t = tokenize_line(s)
        assert t is None or t == r, s


def test_random_text_equals_the_jar():
    lines = _fuzz(7, 4000)
    reference = _reference(lines)
    ours = [tokenize_line(s) for s in lines]
    assert sum(o is not None for o in ours) > 1000
    assert [o for o in ours if o is not None] == [r for o, r in zip(ours, reference) if o is not None]
    assert ptb.tokenize(lines, cache=False) == reference


def test_tokens_depend_on_the_next_line_and_the_end_of_the_batch():
    """The reference tokenises "The letter I." differently before "He ..." and at the batch's end;
    the auto engine sends such a line to the jar with the lines that follow it."""
    batches = [["The letter I.", "He nods."], ["The letter I.", "", "  ", "He nods."], ["The letter I.", "the end."],
               ["Dog.", "The letter I."], ["The letter I.", "The letter I.", "He nods."]]
    firsts = set()
    for batch in batches:
        reference = _reference(batch)
        firsts.update(r for s, r in zip(batch, reference) if s == "The letter I.")
        assert ptb.tokenize(batch, cache=False) == reference
    assert firsts == {"the letter i", "the letter i."}


@pytest.mark.parametrize("batches, runs", [
    ([["Gul'dan nods.", "He nods."], ["The letter I.", "He smiles.", "Mr. X."]], 1),
    ([["He nods.", "Gul'dan nods."], ["The letter I.", "He smiles.", "Mr. X."]], 2),
    ([["One\rtwo.", "Gul'dan nods."], ["The letter I.", "He smiles."], ["Fine."]], 2),
])
def test_batches_share_one_jar_run(monkeypatch, batches, runs):
    """Each batch gets the reference's tokens for that batch alone; the jar runs once for all, but for a
    second batch ending outside the rules or one with a line break inside a sentence."""
    references = [_reference(b) for b in batches]
    calls = []
    real = ptb._run_tokenizer
    monkeypatch.setattr(ptb, "_run_tokenizer", lambda lines, *started: calls.append(lines) or real(lines, *started))
    assert ptb.tokenize_batches(batches, cache=False) == references
    assert len(calls) == runs


def test_line_breaks_inside_a_sentence_shift_lines_as_in_the_reference():
    batch = ["One\rtwo.", "Mr. Smith nods.", "The end."]
    assert ptb.tokenize(batch, cache=False) == _reference(batch)


def test_ground_truth_tokens_are_kept_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path))
    refs = [["O'Brien nods at Mr. Smith."], ["The letter Y."]]
    first = caption_metrics(["He nods.", "A letter."], refs, ("bleu", "cider"))
    files = list((tmp_path / "ptb").glob("*.json"))
    assert len(files) == 1 and json.loads(files[0].read_text()) == _reference([r[0] for r in refs])
    ptb._cache.clear()
    monkeypatch.setattr(ptb, "_run_tokenizer", lambda s, *started: pytest.fail("the jar ran for cached ground truth"))
    again = caption_metrics(["He nods.", "A letter."], refs, ("bleu", "cider"))
    assert again.overall == first.overall


def test_sentences_outside_the_rules_need_the_jar_once(tmp_path, monkeypatch):
    """The jar's tokens are kept per run of lines, so later calls with other batches around the same runs
    (the ground truth read back from disk and the predictions alone, or either batch alone) need no Java."""
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path))
    refs = ["Gul'dan nods.", "He nods.", "The letter I.", "He smiles."]
    hyps = ["O'Reilly waves.", "The letter I."]
    calls = []
    real = ptb._run_tokenizer
    monkeypatch.setattr(ptb, "_run_tokenizer", lambda lines, *started: calls.append(lines) or real(lines, *started))
    first = ptb.tokenize_batches([refs, hyps], persist=(True, False))
    assert first == [_reference(refs), _reference(hyps)] and len(calls) == 1
    assert len(list((tmp_path / "ptb" / "jar").glob("*.json"))) == 3  # refs 0-1 and 2-3, hyps 0-1
    ptb._cache.clear()
    monkeypatch.setattr(ptb, "_run_tokenizer", lambda s, *started: pytest.fail("the jar ran for lines it tokenised before"))
    assert ptb.tokenize_batches([refs, hyps], persist=(True, False)) == first
    ptb._cache.clear()
    assert ptb.tokenize(hyps) == first[1] and ptb.tokenize(refs[2:]) == _reference(refs[2:])


def test_new_ground_truth_starts_the_jar_early_and_stops_it_when_unneeded(tmp_path, monkeypatch):
    """A ground-truth batch not on disk starts the jar before the rules run: its first file goes to that
    process; when every sentence is within the rules the process is stopped."""
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path))
    started = []
    real = ptb._start_tokenizer
    monkeypatch.setattr(ptb, "_start_tokenizer", lambda: started.append(real()) or started[-1])
    refs, hyps = ["Gul'dan nods.", "He nods.", "The letter I."], ["O'Reilly waves.", "He smiles."]
    assert ptb.tokenize_batches([refs, hyps], persist=(True, False)) == [_reference(refs), _reference(hyps)]
    assert len(started) == 1 and started[0].returncode == 0
    ptb._cache.clear()
    plain = ["He nods.", "She smiles."]
    assert ptb.tokenize_batches([plain, ["He waves."]], persist=(True, False)) == [["he nods", "she smiles"], ["he waves"]]
    assert len(started) == 2 and started[1].returncode not in (None, 0)  # started for the new ground truth, then stopped
    ptb._cache.clear()
    assert ptb.tokenize_batches([refs, hyps], persist=(True, False))[0] == _reference(refs) and len(started) == 2


def test_jar_engine_and_bad_engine():
    batch = ["He's here.", "Mr. Smith (the boss) can't."]
    assert ptb.tokenize(batch, cache=False, engine="jar") == _reference(batch)
    with pytest.raises(InputError, match="unknown tokenizer"):
        ptb.tokenize(batch, engine="fast")
