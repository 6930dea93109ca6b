"""Speaker turns: purity and coverage of the speakers found, on espeak-ng dialogue in known voices.

Three generated dialogues (cached under ``benchmarks/.cache/speakers``): one voice alone, two
voices taking turns, three voices in an irregular order.  The voices are espeak-ng's American
male, a British female variant and a Scottish male variant.  Synthetic voices are built on one
formant model and spoken without noise, reverberation or emotion: telling them apart is easier
than telling real actors apart, and the numbers here say nothing about real dialogue.

Each dialogue goes through what ``describe`` does -- VAD, Whisper (``--asr-model``), then
:func:`speaker_turns` -- and every transcript segment gets its true voice: the voice of the line
it overlaps most.  Scores, weighted by the segments' seconds of words:

* purity: per speaker found, the share of its speech from its most frequent voice;
* coverage: per true voice, the share of its speech inside the one speaker found most for it;
* labelled: the share of speech that got a speaker at all (short lines get none);
* found: how many speakers were found against how many voices spoke.

The baseline is one speaker for everything (coverage 1, purity the largest voice's share).

    .venv/bin/python benchmarks/bench_speakers.py [--asr-model base] [--cut 0.3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter, defaultdict
from pathlib import Path

from cinescribe.demo import make_test_video
from cinescribe.media.asr import AsrConfig, transcribe
from cinescribe.media.audio import extract_audio
from cinescribe.media.speakers import speaker_turns, speech_seconds, voiced_spans
from cinescribe.media.vad import detect_speech
from cinescribe.media.voice_encoder import load_voice_encoder

CACHE = Path(__file__).resolve().parent / ".cache" / "speakers"
VOICES = {"A": "en-us", "B": "en-gb-x-rp+f3", "C": "en-gb-scotland+m7"}
LINES = ["Where were you last night?", "I was at the station, waiting for the train.",
         "Nobody came to meet you there?", "Nobody came, and the last train left without me.",
         "Then we leave at dawn, before they find the car.", "Did you bring the letter from your mother?",
         "It is in the glove box of the car.", "The river is higher than it was in spring.",
         "Close the door behind you, please, it is cold.", "Seven people saw him leave the bank that day.",
         "We have no time left to argue about it.", "Then stop talking and start walking."]
DIALOGUES = {"one": "AAAAAAAA", "two": "ABABABBABA", "three": "ABCABCCABACB"}


def dialogue(name: str, order: str) -> tuple[Path, list[tuple[float, float, str]]]:
    """The generated dialogue ``name`` (lines in the voices of ``order``) and (start, end, voice) per line."""
    speech, t = [], 0.5
    for line, who in zip(LINES, order):
        speech.append((t, line, VOICES[who]))
        t += 0.33 * len(line.split()) + 1.0
    CACHE.mkdir(parents=True, exist_ok=True)
    info = make_test_video(CACHE / f"{name}.m4a", speech=speech, video=False, duration=t + 1.0)
    voice_of = {text: who for (_, text, _), who in zip(speech, order)}
    return info.path, [(iv.start, iv.end, voice_of[text]) for iv, text in info.lines]


def true_voice(start: float, end: float, lines: list[tuple[float, float, str]]) -> str:
    overlap: Counter = Counter()
    for a, b, who in lines:
        overlap[who] += max(0.0, min(end, b) - max(start, a))
    return overlap.most_common(1)[0][0]


def scores(pairs: list[tuple[str, str, float]]) -> dict[str, float]:
    """``pairs``: (speaker found or "", true voice, seconds) per segment."""
    total = sum(s for *_, s in pairs)
    labelled = [(f, v, s) for f, v, s in pairs if f]
    by_found: dict[str, Counter] = defaultdict(Counter)
    by_voice: dict[str, Counter] = defaultdict(Counter)
    for f, v, s in labelled:
        by_found[f][v] += s
        by_voice[v][f] += s
    inside = sum(s for *_, s in labelled) or 1.0
    return {"purity": sum(max(c.values()) for c in by_found.values()) / inside,
            "coverage": sum(max(c.values()) for c in by_voice.values()) / inside,
            "labelled": inside / total if total else 0.0,
            "found": len(by_found), "voices": len({v for _, v, _ in pairs})}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--asr-model", default="base")
    ap.add_argument("--cut", type=float, default=None, help="a fixed clustering cut instead of the per-video choice")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    encoder = load_voice_encoder()
    rows = []
    print(f"{'dialogue':9} {'voices':>6} {'found':>5} {'purity':>7} {'coverage':>8} {'labelled':>8} "
          f"{'base purity':>11} {'embed s':>7}")
    for name, order in DIALOGUES.items():
        path, lines = dialogue(name, order)
        audio = extract_audio(path)
        regions = detect_speech(audio, 16000)
        transcript = transcribe(audio, regions, AsrConfig(model=args.asr_model))
        t0 = time.perf_counter()
        turns = speaker_turns(audio, transcript, encoder, cut=args.cut, speech=regions)
        seconds = time.perf_counter() - t0
        pairs = [(s.speaker, true_voice(s.start, s.end, lines), speech_seconds(voiced_spans(s, regions)))
                 for s in turns.segments]
        row = {"dialogue": name, **scores(pairs), "baseline_purity": scores([("S1", v, s) for _, v, s in pairs])["purity"],
               "segments": len(pairs), "embed_s": round(seconds, 2),
               "turns": [f"{s.speaker or '-'}={true_voice(s.start, s.end, lines)}" for s in turns.segments]}
        rows.append(row)
        print(f"{name:9} {row['voices']:>6} {row['found']:>5} {row['purity']:>7.3f} {row['coverage']:>8.3f} "
              f"{row['labelled']:>8.3f} {row['baseline_purity']:>11.3f} {seconds:>7.1f}  {' '.join(row['turns'])}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
