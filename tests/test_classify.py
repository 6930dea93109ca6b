"""Video-level classifiers: labels CSV, metrics, motion features, concat fusion, training, the
``classify`` commands end to end and score tracks in the AD script."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import torch

from cinescribe.data.labels import read_labels
from cinescribe.describe.segment_scores import TRACK_SCHEMA, attach_track, check_track
from cinescribe.errors import InputError
from cinescribe.evaluate.classification import SCHEMA, ccc, classification_metrics, roc_auc
from cinescribe.models import StreamFusionConfig, StreamFusionModel
from cinescribe.train import classify
from cinescribe.train.classify import (ClassifyConfig, VideoStreams, make_batch, motion_features, predict,
                                       segment_scores, segment_windows, train_classifier)

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("classify_experiment", ROOT / "scripts" / "classify_experiment.py")
experiment = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(experiment)


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny models train many times faster on one thread than on two busy ones."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cinescribe", *map(str, args)], capture_output=True, text=True,
                          timeout=300)


# -- labels ---------------------------------------------------------------------------------------

def test_labels_csv_tasks_and_errors(tmp_path):
    lab = read_labels(write(tmp_path / "a.csv", "video,label\nclips/b.mp4,violent\na,calm\n"))
    assert (lab.task, lab.ids, lab.names, lab.targets.tolist()) == ("multiclass", ["b", "a"], ["calm", "violent"], [1, 0])
    multi = read_labels(write(tmp_path / "m.csv", "id,labels\nx,fight;chase\ny,\nz,chase|crowd\n"))
    assert multi.names == ["chase", "crowd", "fight"] and multi.targets.tolist() == [[1, 0, 1], [0, 0, 0], [1, 1, 0]]
    reg = read_labels(write(tmp_path / "r.csv", "video,valence,arousal\nx,0.5,-0.25\n"))
    assert reg.task == "regression" and reg.names == ["valence", "arousal"] and reg.targets.tolist() == [[0.5, -0.25]]
    assert reg.subset(["x"]).targets.shape == (1, 2)
    bad = {"n.csv": ("video,valence\nx,high\n", "not a number"),
           "d.csv": ("video,label\nx,a\nx.mp4,b\n", "listed twice"),
           "h.csv": ("name,label\nx,a\n", "first column"),
           "o.csv": ("video,label\nx,a\ny,a\n", "at least two classes"),
           "c.csv": ("video,label\nx,a,b\n", "cells")}
    for name, (text, message) in bad.items():
        with pytest.raises(InputError, match=message):
            read_labels(write(tmp_path / name, text))
    with pytest.raises(InputError, match="unknown to the model"):
        read_labels(tmp_path / "a.csv", names=["calm", "peaceful"])
    with pytest.raises(InputError, match="no such labels file"):
        read_labels(tmp_path / "missing.csv")


# -- metrics --------------------------------------------------------------------------------------

def test_metrics_known_values():
    assert roc_auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])) == 0.75
    assert roc_auc(np.array([0, 1, 0, 1]), np.array([0.5, 0.5, 0.2, 0.9])) == 0.875  # a tie counts half
    assert roc_auc(np.array([1, 1]), np.array([0.2, 0.3])) is None
    y = np.array([0.1, -0.4, 0.7, 0.0])
    assert ccc(y, y) == pytest.approx(1.0)
    # CCC = 2 cov / (var_y + var_p + (mean diff)^2); shifting by 0.5 keeps cov = var_y
    assert ccc(y, y + 0.5) == pytest.approx(2 * y.var() / (2 * y.var() + 0.25))
    scores = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    m = classification_metrics("multiclass", ["a", "b", "c"], np.array([0, 1, 2, 1]), scores)
    assert m["accuracy"] == 0.75 and m["confusion"] == [[1, 0, 0], [1, 1, 0], [0, 0, 1]]
    assert m["macro_F1"] == pytest.approx((2 / 3 + 2 / 3 + 1) / 3) and m["ROC_AUC"] == pytest.approx(1.0)
    reg = classification_metrics("regression", ["v"], np.array([[0.0], [1.0]]), np.array([[0.0], [0.5]]))
    assert reg["RMSE"] == pytest.approx(np.sqrt(0.125))
    ml = classification_metrics("multilabel", ["x", "y"], np.array([[1, 0], [0, 1]]), np.array([[0.8, 0.6], [0.3, 0.9]]))
    assert ml["accuracy"] == 0.75 and ml["per_class"]["x"]["F1"] == 1.0 and ml["per_class"]["y"]["F1"] == pytest.approx(2 / 3)


# -- features and model -----------------------------------------------------------------------------

def test_motion_features_see_motion_not_colour():
    rng = np.random.default_rng(0)
    still = motion_features(experiment.make_clip(True, False, rng))
    moving_red = motion_features(experiment.make_clip(True, True, np.random.default_rng(1)))
    moving_blue = motion_features(experiment.make_clip(False, True, np.random.default_rng(1)))
    assert still.shape == (23, classify.MOTION_DIM) and motion_features(np.zeros((1, 8, 8, 3), np.uint8)).shape == (0, 257)
    assert moving_red[:, -1].mean() > still[:, -1].mean() + 0.4  # log energy of the difference
    assert np.allclose(np.linalg.norm(moving_red[:, :-1], axis=1), 1.0, atol=1e-4)
    # same seed, same path, equal grey level: only colour noise differs
    assert np.abs(moving_red - moving_blue).max() < 0.2


def test_concat_fusion_shapes_gradients_and_missing_stream():
    torch.manual_seed(0)
    cfg = StreamFusionConfig(stream_dims={"video": 5, "image": 4}, num_outputs=2, d_model=8, gru_hidden=6,
                             heads=2, dropout=0.0, fusion="concat")
    model = StreamFusionModel(cfg)
    assert not hasattr(model, "cross") and model.concat[0].in_features == 16
    x = {"video": torch.randn(3, 4, 5), "image": torch.randn(3, 2, 4)}
    result = model(x)
    assert result["output"].shape == (3, 2) and result["pooled"].shape == (3, 8)
    model.loss(result, torch.tensor([0, 1, 1])).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.eval()
    masks = {"video": torch.ones(3, 4, dtype=torch.bool), "image": torch.zeros(3, 2, dtype=torch.bool)}
    assert torch.allclose(model(x, masks)["output"], model({"video": x["video"]})["output"], atol=1e-6)
    with pytest.raises(ValueError, match="fusion must be"):
        StreamFusionConfig(fusion="sum")


def test_make_batch_pads_subsamples_and_marks_missing_streams():
    a = VideoStreams("a", 4.0, {"image": (np.arange(10.0), np.ones((10, 3), np.float32))})
    b = VideoStreams("b", 4.0, {"video": (np.arange(2.0), np.ones((2, 2), np.float32))})
    streams, masks = make_batch([a, b], {"image": 3, "video": 2, "text": 5}, max_steps=4)
    assert streams["image"].shape == (2, 4, 3) and masks["image"].tolist() == [[True] * 4, [False] * 4]
    assert masks["video"].tolist() == [[False, False], [True, True]] and "text" not in streams
    assert a.window(2.0, 5.0).streams["image"][0].tolist() == [2.0, 3.0, 4.0]
    assert segment_windows(12.0, 5.0) == [(0.0, 5.0), (5.0, 10.0), (10.0, 12.0)]


def test_training_learns_a_two_stream_rule_and_scores_segments():
    rng = np.random.default_rng(0)
    samples, targets = [], []
    for i in range(48):  # label = sign(image) XOR sign(video): needs both streams
        a, b = i % 2, (i // 2) % 2
        image = rng.normal(0, 0.3, (3, 4)).astype(np.float32) + (2 * a - 1) * np.float32([1, -1, 1, -1])
        video = rng.normal(0, 0.3, (5, 3)).astype(np.float32) + (2 * b - 1) * np.float32([1, -1, 0])
        samples.append(VideoStreams(f"v{i}", 5.0, {"image": (np.arange(3.0), image), "video": (np.arange(5.0), video)}))
        targets.append(a ^ b)
    labels = classify.Labels("multiclass", [s.name for s in samples], ["no", "yes"], np.array(targets))
    cfg = ClassifyConfig(epochs=30, lr=1e-2, batch_size=16, val_fraction=0.25,
                         model_config={"d_model": 16, "gru_hidden": 8, "heads": 2, "noise_std": 0.0,
                                       "stream_drop": 0.0})
    result = train_classifier(samples, labels, cfg)
    assert len(result.val_ids) == 12 and 1 <= result.best_epoch <= 30
    assert result.history[-1]["train_loss"] < result.history[0]["train_loss"]
    val = [labels.ids.index(v) for v in result.val_ids]
    assert (predict(result.model, [samples[i] for i in val]).argmax(1) == np.array(targets)[val]).mean() >= 0.9
    longer = VideoStreams("longer", 7.0, samples[0].streams)
    track = segment_scores(result.model, longer, 2.0, ["no", "yes"])
    assert [(s["start"], s["end"]) for s in track] == [(0.0, 2.0), (2.0, 4.0), (4.0, 6.0), (6.0, 7.0)]
    assert track[3]["scores"] is None  # no stream step in [6, 7)
    assert sum(track[0]["scores"].values()) == pytest.approx(1.0, abs=1e-3)


# -- the commands ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def labelled(tmp_path_factory) -> Path:
    """Eight 3-second 64x64 clips (two per colour x motion cell) and their XOR labels."""
    root = tmp_path_factory.mktemp("classify")
    rng = np.random.default_rng(3)
    rows = ["video,label"]
    (root / "videos").mkdir()
    for i in range(8):
        red, moving = bool(i % 2), bool((i // 2) % 2)
        experiment.write_video(root / "videos" / f"clip{i}.mp4", experiment.make_clip(red, moving, rng))
        rows.append(f"clip{i},{experiment.NAMES[experiment.label_of(red, moving)]}")
    write(root / "labels.csv", "\n".join(rows) + "\n")
    write(root / "tiny.json", json.dumps({"epochs": 3, "batch_size": 4, "val_fraction": 0.25, "max_side": 64,
                                          "model_config": {"d_model": 8, "gru_hidden": 8, "heads": 2}}))
    return root


@pytest.mark.slow
def test_classify_train_predict_evaluate_and_attach(labelled, tmp_path):
    cache = tmp_path / "cache"
    model = tmp_path / "model"
    done = cli("classify", "train", "--labels", labelled / "labels.csv", "--videos", labelled / "videos",
               "-o", model, "--config", labelled / "tiny.json", "--cache", cache, "-q")
    assert done.returncode == 0, done.stderr
    meta = json.loads((model / "classify.json").read_text())
    assert meta["names"] == ["negative", "positive"] and len(meta["history"]) == 3
    script = tmp_path / "clip1.ad.json"
    write(script, json.dumps({"schema": "cinescribe.ad-script/1", "video": {"duration": 3.0}, "descriptions": []}))
    preds = tmp_path / "out" / "preds.json"
    done = cli("classify", "predict", model, labelled / "videos" / "clip1.mp4", "--segments", "1.5",
               "--attach", script, "-o", preds, "--cache", cache, "-q")
    assert done.returncode == 0, done.stderr
    doc = json.loads(preds.read_text())
    assert doc["schema"] == SCHEMA and doc["videos"][0]["label"] in ("negative", "positive")
    assert doc["videos"][0]["streams"] == ["image", "video"]
    track = json.loads((tmp_path / "out" / "clip1.scores.json").read_text())
    assert [(s["start"], s["end"]) for s in track["segments"]] == [(0.0, 1.5), (1.5, 3.0)]
    assert json.loads(script.read_text())["tracks"] == [track]
    all_preds = tmp_path / "all.json"
    assert cli("classify", "predict", model, *sorted((labelled / "videos").glob("*.mp4")), "-o", all_preds,
               "--cache", cache, "-q").returncode == 0
    done = cli("classify", "evaluate", "--pred", all_preds, "--labels", labelled / "labels.csv", "-o", tmp_path / "ev")
    assert done.returncode == 0, done.stderr
    result = json.loads((tmp_path / "ev" / "classification.json").read_text())
    assert result["n"] == 8 and 0 <= result["accuracy"] <= 1 and sum(map(sum, result["confusion"])) == 8
    assert (tmp_path / "ev" / "classification.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_classify_bad_input_is_one_line_exit_2(labelled, tmp_path):
    cases = [
        (("classify", "train", "--labels", tmp_path / "none.csv", "--videos", labelled / "videos", "-o", tmp_path / "m"),
         "no such labels file"),
        (("classify", "train", "--labels", write(tmp_path / "l.csv", "video,label\nghost,a\nclip0,b\n"),
          "--videos", labelled / "videos", "-o", tmp_path / "m"), "not found in"),
        (("classify", "train", "--labels", labelled / "labels.csv", "--videos", labelled / "videos", "-o", tmp_path / "m",
          "--config", write(tmp_path / "c.json", '{"epochs": 0}')), "epochs"),
        (("classify", "predict", tmp_path, labelled / "videos" / "clip0.mp4"), "not a classifier folder"),
        (("classify", "predict", tmp_path, labelled / "videos" / "clip0.mp4", "--segments", "1", "--attach",
          write(tmp_path / "x.ad.json", "[]"), "-o", tmp_path / "out.json"), "not a cinescribe AD script"),
        (("classify", "predict", tmp_path, labelled / "videos" / "clip0.mp4", "--attach", tmp_path / "x.ad.json"),
         "--attach needs --segments"),
        (("classify", "evaluate", "--pred", write(tmp_path / "p.json", "{}"), "--labels", labelled / "labels.csv"),
         "not a cinescribe classify predictions"),
    ]
    for args, message in cases:
        done = cli(*args)
        assert done.returncode == 2 and message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "m").exists() and not (tmp_path / "out.json").exists()


def test_attach_track_checks_both_files(tmp_path):
    track = {"schema": TRACK_SCHEMA, "name": "violence", "task": "multiclass", "names": ["calm", "violent"],
             "window": 5.0, "segments": [{"start": 0.0, "end": 5.0, "scores": {"calm": 0.2, "violent": 0.8}}]}
    assert classify.TRACK_SCHEMA == TRACK_SCHEMA and classify.PREDICTIONS_SCHEMA == SCHEMA
    script = write(tmp_path / "s.ad.json", json.dumps({"schema": "cinescribe.ad-script/1", "tracks": [
        {"name": "violence", "old": True}, {"name": "arousal"}]}))
    attach_track(script, track)
    assert [t["name"] for t in json.loads(script.read_text())["tracks"]] == ["arousal", "violence"]
    bad = dict(track, segments=[{"start": 2.0, "end": 1.0, "scores": None}])
    with pytest.raises(InputError, match="start < end"):
        check_track(bad)
    with pytest.raises(InputError, match="not a cinescribe AD script"):
        attach_track(write(tmp_path / "x.json", "[]"), track)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium is not installed (scripts/setup.sh installs it)")
def test_review_page_shows_an_attached_track(speech_video, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    from cinescribe.export.review.server import Review, make_server
    from test_mix import make_script

    video = tmp_path / "speech.mp4"
    shutil.copyfile(speech_video.path, video)
    make_script(type(speech_video)(**{**speech_video.__dict__, "path": video}), tmp_path / "speech.ad.json")
    attach_track(tmp_path / "speech.ad.json", {
        "schema": TRACK_SCHEMA, "name": "violence", "task": "multiclass", "names": ["calm", "violent"], "window": 4.0,
        "segments": [{"start": 0.0, "end": 4.0, "scores": {"calm": 0.9, "violent": 0.1}},
                     {"start": 4.0, "end": 8.0, "scores": {"calm": 0.25, "violent": 0.75}}]})
    srv = make_server(Review(tmp_path), 0)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    errors: list[str] = []
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(bypass_csp=True)  # lets the test evaluate JS
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"http://127.0.0.1:{srv.server_address[1]}/")
            page.wait_for_selector("#track-list article")
            assert page.locator("#tracks").is_visible()
            assert page.get_by_role("heading", name="violence (multiclass)").count() == 1
            page.locator("#track-list summary").click()
            assert page.locator("#track-list tbody tr").nth(1).inner_text().split()[-2:] == ["0.250", "0.750"]
            page.get_by_role("button", name="Track 1: seek to 00:00:04.00").click()
            page.wait_for_function("document.querySelector('video').currentTime === 4")
            page.wait_for_function("document.querySelector('#track-list tbody tr:nth-child(2)')"
                                   ".getAttribute('aria-current') === 'time'")
            assert page.locator("#track-list polyline").count() == 2
            page.screenshot(path=str(tmp_path / "tracks.png"), full_page=True)
            browser.close()
    finally:
        srv.shutdown()
        srv.server_close()
    assert errors == [] and (tmp_path / "tracks.png").stat().st_size > 10_000
    print(f"screenshot: {tmp_path / 'tracks.png'}")


def test_evaluate_regression_and_multilabel_predictions_with_figures(tmp_path):
    from cinescribe.evaluate.classification import evaluate_predictions, plot_classification, public

    def preds(task, names, rows):
        return write(tmp_path / f"{task}.json", json.dumps({"schema": SCHEMA, "task": task, "names": names, "videos": [
            {"video": v, "scores": dict(zip(names, s))} for v, s in rows]}))

    reg = evaluate_predictions(preds("regression", ["valence", "arousal"], [("a", [0.5, 0.0]), ("b", [-0.5, 0.4])]),
                               write(tmp_path / "r.csv", "video,valence,arousal\na.mp4,0.5,0.2\nb,-0.5,0.2\nc,0,0\n"))
    assert reg["per_output"]["valence"]["CCC"] == pytest.approx(1.0) and reg["missing"] == ["c"]
    assert reg["per_output"]["arousal"]["RMSE"] == pytest.approx(0.2)
    ml = evaluate_predictions(preds("multilabel", ["chase", "fight"], [("a", [0.9, 0.2]), ("b", [0.1, 0.7])]),
                              write(tmp_path / "m.csv", "video,labels\na,chase\nb,fight;chase\n"))
    assert ml["accuracy"] == 0.75 and ml["confusion"][0] == [[0, 0], [1, 1]]
    for name, result in (("reg", reg), ("ml", ml)):
        assert plot_classification(result, tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
        json.dumps(public(result))  # the report is plain JSON
    with pytest.raises(InputError, match="differ from the model"):
        evaluate_predictions(tmp_path / "regression.json", write(tmp_path / "v.csv", "video,valence\na,0\n"))
