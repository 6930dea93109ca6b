"""The perception graphs in PyTorch give the Node worker's answers, on real photos and real footage."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from cinescribe.demo import sample_photo as photo
from cinescribe.errors import InputError
from cinescribe.features.analysers.human import MODELS_PACKAGE, HumanAnalyser, find_node_dir
from cinescribe.features.analysers.human_torch import crop_and_resize, js_round, nms, tf_nms

MODELS = find_node_dir() / "node_modules" / MODELS_PACKAGE / "models"
CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
needs_models = pytest.mark.skipif(not MODELS.is_dir(), reason="node/node_modules missing (run `make setup`)")
needs_node = pytest.mark.skipif(shutil.which("node") is None or not MODELS.is_dir(), reason="node or its models missing")
TASKS = ["objects", "faces", "poses", "hands"]


def test_js_round_rounds_halves_up():
    assert js_round(0.00005) == 0.0001 and js_round(-0.00005) == 0.0 and js_round(0.12344) == 0.1234


def test_tf_nms_keeps_best_and_drops_overlaps():
    boxes = np.array([[0, 0, 1, 1], [0, 0, 1, 0.9], [0, 2, 1, 3], [0, 0, 1, 1]], np.float64)
    scores = np.array([0.9, 0.95, 0.5, 0.1])
    assert tf_nms(boxes, scores, 10, 0.5, 0.2) == [1, 2]  # 0 overlaps 1 (IoU 0.9); 3 is under the score floor
    assert tf_nms(boxes, scores, 1, 0.5, -np.inf) == [1]
    items = [{"label": "a", "score": 0.5, "box": [0, 0, 1, 1]}, {"label": "b", "score": 0.9, "box": [0, 0, 1, 1]}]
    assert [i["label"] for i in nms(items, 0.5, 5)] == ["b", "a"]  # other labels are kept...
    assert [i["label"] for i in nms(items, 0.5, 5, by_label=False)] == ["b"]  # ...unless any label suppresses


def test_crop_and_resize_follows_tensorflow():
    image = torch.arange(16, dtype=torch.float32).reshape(4, 4, 1)
    whole = crop_and_resize(image, (0, 0, 1, 1), 4)
    assert whole.shape == (1, 4, 4, 1) and torch.equal(whole[0], image)
    half = crop_and_resize(image, (0, 0, 0.5, 0.5), 2)  # corners at 0 and 1.5 pixels
    assert half[0, :, :, 0].tolist() == [[0.0, 1.5], [6.0, 7.5]]
    outside = crop_and_resize(image, (-1, 0, 0, 1), 2)  # the first row lies above the image: extrapolated as 0
    assert outside[0, 0, :, 0].tolist() == [0.0, 0.0] and outside[0, 1, :, 0].tolist() == [0.0, 3.0]


def test_unknown_runtime_is_a_clear_error():
    with pytest.raises(InputError, match="runtime"):
        HumanAnalyser(runtime="tensorrt")


def _frames() -> dict[str, np.ndarray]:
    frames = {name: photo(name) for name in ("astronaut.png", "chelsea.png", "coffee.png")}
    av = pytest.importorskip("av")
    for clip, index in (("vtest.avi", 300), ("box.mp4", 280)):
        with av.open(str(CLIPS / clip)) as container:
            for i, frame in enumerate(container.decode(video=0)):
                if i == index:
                    frames[f"{clip}@{index}"] = frame.to_ndarray(format="rgb24")
                    break
    return frames


def _close(a, b, tol: float = 2e-4) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b)) and len(a) == len(b)


@pytest.mark.slow
@needs_node
def test_torch_runtime_answers_as_the_worker():
    frames = _frames()
    with HumanAnalyser(hands=True, workers=1) as node, HumanAnalyser(hands=True, runtime="torch", node="/no/node") as torch_rt:
        assert torch_rt.backend == "torch-cpu" and not torch_rt._workers
        for name, image in frames.items():
            want, got = node.measure(image), torch_rt.measure(image)
            for task in TASKS:
                assert len(want[task]) == len(got[task]), (name, task)
                for a, b in zip(want[task], got[task]):
                    assert a.get("label") == b.get("label") and a.get("expression") == b.get("expression"), (name, task)
                    assert _close(a["box"], b["box"]) and abs(a["score"] - b["score"]) <= 2e-4, (name, task)
                    for k, v in a.get("keypoints", {}).items():
                        assert _close(v, b["keypoints"][k]), (name, k)
                    if "descriptor" in a:
                        u = np.frombuffer(base64.b64decode(a["descriptor"]), "<f4")
                        v = np.frombuffer(base64.b64decode(b["descriptor"]), "<f4")
                        assert np.abs(u - v).max() < 1e-3 and a["gender"] == b["gender"] and a["age"] == b["age"]
        counts = {t: sum(len(node.measure(f)[t]) for f in frames.values()) for t in TASKS}
        assert all(counts[t] > 0 for t in TASKS), counts  # every task found something to compare


@needs_models
def test_frames_measured_together_as_one_by_one():
    frames = [photo(n) for n in ("astronaut.png", "coffee.png")]
    frames.append(np.ascontiguousarray(frames[0][:, ::-1]))  # two of one size, one of another
    frames = [frames[0], frames[2], frames[1]]
    with HumanAnalyser(hands=True, runtime="torch") as human:
        one = [human.measure(f) for f in frames]
    from cinescribe.features.analysers.human_torch import TorchHuman

    together = TorchHuman(MODELS, batch=3).measure_many(frames, TASKS, identity=True)
    for a, b in zip(one, together):
        for task in TASKS:
            assert [(i.get("label"), i["box"]) for i in a[task]] == [(i.get("label"), i["box"]) for i in b[task]], task
    assert len(one[0]["faces"]) == 1 and one[1]["faces"]  # the flipped astronaut too


def test_batch_frontier_stops_at_batch_one_ops(tmp_path):
    from test_tfjs_graph import tiny_model

    from cinescribe.features.analysers.tfjs_graph import TfjsGraph

    graph = TfjsGraph(tiny_model(tmp_path))
    assert graph.batch_frontier(["x"], ["mean"]) == ["mean"]  # conv, then a mean over H and W: all per item
    x = torch.rand(3, 4, 4, 1)
    together = graph.run_batched({"x": x}, ["mean"])
    assert [t[0].shape for t in together] == [(1, 1)] * 3
    assert all(torch.allclose(t[0], graph.run({"x": x[i:i + 1]}, ["mean"])[0]) for i, t in enumerate(together))


def test_perception_runtime_choice():
    from cinescribe.describe.config import DescribeConfig

    assert DescribeConfig().runtime_for("cuda") == "torch" and DescribeConfig().runtime_for("cpu") == "node"
    assert DescribeConfig(perception_runtime="torch").runtime_for("cpu") == "torch"
    assert DescribeConfig(perception_runtime="node").runtime_for("cuda") == "node"
    with pytest.raises(InputError, match="--perception-runtime"):
        DescribeConfig(perception_runtime="wasm").validate()
