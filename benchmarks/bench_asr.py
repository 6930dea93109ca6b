"""Speech recognition: word error rate and real-time factor of each packaged Whisper size.

Speech with known text comes from espeak-ng (:mod:`cinescribe.demo`): the demo video's seven
lines, a generated track of ten more sentences and one of six sentences naming five people
(cached under ``benchmarks/.cache/asr``); on the last, the names :func:`heard_names` finds are
scored (precision and recall against the five).
Each is recognised over its VAD regions (as ``describe`` does) by every model size and beam
width asked for, on ``--threads`` CPU threads (2 by default, this machine's share).  WER is
corpus WER of the concatenated transcript against the concatenated known text (so segmentation
does not count); RTF is recognition seconds / audio seconds, with the model already loaded.

    .venv/bin/python benchmarks/bench_asr.py [--models tiny.en,base] [--beams 1,5] [--threads 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from cinescribe.demo import make_demo_video, make_test_video
from cinescribe.describe.heard import heard_names
from cinescribe.evaluate.wer import word_error_rate
from cinescribe.media.asr import AsrConfig, load_model, transcribe
from cinescribe.media.audio import extract_audio
from cinescribe.media.vad import detect_speech

CACHE = Path(__file__).resolve().parent / ".cache" / "asr"
SENTENCES = ["Where were you last night?", "I was at the station, waiting for the train.", "Nobody came.",
             "Then we leave at dawn.", "Did you bring the letter from your mother?", "It is in the car.",
             "The river is higher than it was in spring.", "Close the door behind you, please.",
             "Seven people saw him leave the bank.", "We have no time left."]
NAMED = ["I saw Maria at the station.", "Tell John the car is ready.", "Where did Peter go last night?",
         "Maria, come here and sit down.", "The letter is from Anna and her brother.", "Nobody trusts Victor anymore."]
NAMES = {"Maria", "John", "Peter", "Anna", "Victor"}


def _spoken(name: str, sentences: list[str]) -> tuple[Path, list[str]]:
    speech, t = [], 0.5
    for s in sentences:
        speech.append((t, s))
        t += 0.35 * len(s.split()) + 1.5
    gen = make_test_video(CACHE / f"{name}.mp4", speech=speech, duration=t + 1.0)
    return gen.path, [text for _, text in gen.lines]


def clips() -> dict[str, tuple[Path, list[str]]]:
    CACHE.mkdir(parents=True, exist_ok=True)
    demo = CACHE / "demo.mp4"
    demo_info = make_demo_video(demo)
    return {"demo": (demo, [text for _, text in demo_info.lines]), "sentences": _spoken("sentences", SENTENCES),
            "names": _spoken("names", NAMED)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default="tiny.en,base")
    ap.add_argument("--beams", default="1,5")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    data = {}
    for name, (path, text) in clips().items():
        audio = extract_audio(path)
        data[name] = (audio, detect_speech(audio, 16000), text)
    rows = []
    print(f"{'model':8} {'beam':>4} {'clip':10} {'WER':>6} {'RTF':>6}  transcript (names clip: heard_names P/R)")
    for model in args.models.split(","):
        load_model(model, args.threads)
        for beam in (int(b) for b in args.beams.split(",")):
            cfg = AsrConfig(model=model, beam_size=beam, threads=args.threads)
            for name, (audio, regions, text) in data.items():
                t0 = time.perf_counter()
                tr = transcribe(audio, regions, cfg)
                seconds = time.perf_counter() - t0
                hyp = " ".join(s.text for s in tr.segments)
                row = {"model": model, "beam": beam, "clip": name, "wer": word_error_rate([" ".join(text)], [hyp]),
                       "rtf": seconds / (len(audio) / 16000), "audio_s": len(audio) / 16000, "language": tr.language,
                       "transcript": hyp}
                if name == "names":
                    heard = {n["name"] for n in heard_names(tr)}
                    row["names"] = sorted(heard)
                    row["names_precision"] = len(heard & NAMES) / len(heard) if heard else 0.0
                    row["names_recall"] = len(heard & NAMES) / len(NAMES)
                    hyp = f"P {row['names_precision']:.2f} R {row['names_recall']:.2f} {sorted(heard)} | {hyp}"
                rows.append(row)
                print(f"{model:8} {beam:>4} {name:10} {row['wer']:6.3f} {row['rtf']:6.3f}  {hyp[:90]}")
    if args.json:
        args.json.write_text(json.dumps({"threads": args.threads, "cpus": os.cpu_count(), "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
