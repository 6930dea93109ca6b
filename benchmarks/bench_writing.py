"""How well the default writer writes: style findings, varied openings, distinct-2, fact coverage, false claims.

Describes the demo video and the real clips (``../shared/data/clips``) with the code under ``--src``
(default: this tree's ``src``; give another checkout's ``src`` to measure the writer before a
change), then measures every AD script with this tree's measuring code:

* ``errors`` / ``warnings``: style-checker findings (:mod:`cinescribe.describe.style`; speech time
  estimated from the word count, as ``describe`` records it);
* ``openings``: distinct two-word openings / spoken ADs; ``same_opening``: consecutive pairs that
  start alike;
* ``distinct-2``: distinct bigrams / all bigrams over a video's ADs, and ``neighbour BLEU-2`` (lower
  is better) from :mod:`cinescribe.evaluate.distinct`, on lower-case word tokens;
* ``coverage``: the content facts (people, characters, actions, objects, text, fades, settings,
  place, daylight, expressions, postures) of the considered facts of all slots that some AD
  expresses (:func:`cinescribe.describe.licence.fact_expressed`), over all such facts (by key);
* ``false_claims``: words of an AD that no fact it used licenses, plus facts an AD claims that its
  slot did not measure, plus used facts its text does not say.  An AD written by an AD model
  (``--describe-options "--model DIR"``) records no used facts: its words are checked against all
  the facts its slot measured.

Usage: ``PYTHONPATH=src python benchmarks/bench_writing.py -o /tmp/bench-writing [--src OTHER/src]
[--describe-options "--model DIR"]`` (about 2-5 minutes on a laptop CPU; the feature cache makes a
second run faster).  With describe options, the demo video made by ``cinescribe demo`` is described
again with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from cinescribe.describe.facts import Fact
from cinescribe.describe.licence import fact_expressed
from cinescribe.describe.style import check_document
from cinescribe.describe.writer import Written, opening, unlicensed_words
from cinescribe.evaluate.distinct import distinctiveness

ROOT = Path(__file__).resolve().parents[1]
CLIPS = ROOT.parent / "shared" / "data" / "clips"
# Closed-class words of the writer before issue 13 that the current list no longer has ("mostly"
# in "the picture is mostly orange"): not claims, so not counted as false ones.
LEGACY_FUNCTION_WORDS = {"mostly"}
CONTENT_KINDS = {"people", "character", "action", "object", "text", "fade", "setting", "place", "daylight",
                 "expression", "posture"}


def describe_all(src: Path, out: Path, clips: list[Path], options: list[str] = ()) -> dict[str, Path]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    paths = {}
    demo = out / "demo"
    subprocess.run([sys.executable, "-m", "cinescribe", "demo", "-o", str(demo), "-q"], env=env, check=True)
    paths["demo"] = demo / "demo.ad.json"
    if options:
        clips = [demo / "demo.mp4", *clips]
    for clip in clips:
        folder = out / ("demo-with-options" if clip.parent == demo else clip.stem)
        subprocess.run([sys.executable, "-m", "cinescribe", "describe", str(clip), "-o", str(folder), "-q",
                        "--formats", "json", *options], env=env, check=True)
        paths["demo" if clip.parent == demo else clip.stem] = folder / f"{clip.stem}.ad.json"
    return paths


def measure(doc: dict) -> dict:
    spoken = [d for d in doc["descriptions"] if d["text"]]
    findings = [f for found in check_document(doc) for f in found]
    openings = [opening(d["text"]) for d in spoken]
    tokens = [" ".join(re.findall(r"[a-z0-9']+|[^\sa-z0-9']", d["text"].lower())) for d in spoken]
    dist, _ = distinctiveness({"video": tokens}) if tokens else ({}, {})
    considered = {f["key"] for d in doc["descriptions"] for f in d["considered_facts"] if f["kind"] in CONTENT_KINDS}
    expressed: set[str] = set()
    false = 0
    for d in spoken:
        facts = [Fact.from_dict(f) for f in d["facts"] or d["considered_facts"]]  # an AD model's: all measured
        measured = {f["key"] for f in d["considered_facts"]}
        if not d["facts"]:
            false += len([w for w in unlicensed_words(Written(d["text"], tuple(facts)))
                          if w not in LEGACY_FUNCTION_WORDS])
            expressed |= {f.key for f in facts if fact_expressed(f, d["text"])}
            continue
        false += len([w for w in unlicensed_words(Written(d["text"], tuple(facts))) if w not in LEGACY_FUNCTION_WORDS])
        false += sum(f.key not in measured for f in facts)
        for f in facts:
            if fact_expressed(f, d["text"]):
                expressed.add(f.key)
            else:
                false += 1
    return {
        "ads": len(spoken),
        "slots": len(doc["descriptions"]),
        "errors": sum(f.severity == "error" for f in findings),
        "warnings": sum(f.severity == "warning" for f in findings),
        "rules": sorted({f.rule for f in findings}),
        "openings": len(set(openings)),
        "same_opening": sum(a == b for a, b in zip(openings, openings[1:])),
        "distinct-2": dist.get("distinct-2"),
        "neighbour BLEU-2": dist.get("neighbour BLEU-2"),
        "coverage": round(len(expressed & considered) / len(considered), 3) if considered else None,
        "content_facts": len(considered),
        "false_claims": false,
        "texts": [d["text"] for d in spoken],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-o", "--out", type=Path, required=True, help="folder for the AD scripts and writing.json")
    ap.add_argument("--src", type=Path, default=ROOT / "src", help="the cinescribe source tree that writes")
    ap.add_argument("--measure-only", action="store_true", help="measure the scripts already in --out")
    ap.add_argument("--describe-options", default="",
                    help="more options for describe, e.g. '--model DIR' (the learned writer)")
    args = ap.parse_args()
    clips = sorted(p for p in CLIPS.iterdir() if p.suffix in (".mp4", ".avi")) if CLIPS.is_dir() else []
    args.out.mkdir(parents=True, exist_ok=True)
    if args.measure_only:
        paths = {p.parent.name: p for p in sorted(args.out.glob("*/*.ad.json"))}
    else:
        paths = describe_all(args.src.resolve(), args.out, clips, shlex.split(args.describe_options))
    results = {name: measure(json.loads(path.read_text())) for name, path in paths.items()}
    for name, r in results.items():
        d2 = "-" if r["distinct-2"] is None else f"{r['distinct-2']:.3f}"
        cov = "-" if r["coverage"] is None else f"{r['coverage']:.2f}"
        print(f"{name:8} ADs {r['ads']:2}/{r['slots']:2}  errors {r['errors']}  warnings {r['warnings']}  "
              f"openings {r['openings']}  same-opening {r['same_opening']}  distinct-2 {d2}  coverage {cov} "
              f"of {r['content_facts']}  false claims {r['false_claims']}  rules {','.join(r['rules']) or '-'}")
        for t in r["texts"]:
            print(f"           {t}")
    (args.out / "writing.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
