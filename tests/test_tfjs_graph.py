"""The TF.js graph runtime: weights as TF.js loads them, TensorFlow's op semantics, a tiny graph end to end."""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest
import torch

from cinescribe.errors import MissingDependencyError
from cinescribe.features.analysers.tfjs_graph import TfjsGraph, gather_nd, read_weights, resize_bilinear, strided_slice


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def tiny_model(folder, quantized: bool = True):
    """x (1, 4, 4, 1) -> 2x2 conv, stride 2, SAME, + bias, relu -> mean over H, W: (1, 1)."""
    kernel = np.array([1.0, -1.0, 0.5, 2.0], np.float32)  # (2, 2, 1, 1)
    bias = np.array([-1.0], np.float32)
    node = lambda name, op, inputs=(), **attr: {"name": name, "op": op, "input": list(inputs), "attr": attr}
    nodes = [
        node("x", "Placeholder"), node("w", "Const"), node("b", "Const"), node("axes", "Const"),
        node("conv", "_FusedConv2D", ["x", "w", "b"], strides={"list": {"i": ["1", "2", "2", "1"]}},
             padding={"s": _b64("SAME")}, fused_ops={"list": {"s": [_b64("BiasAdd"), _b64("Relu")]}},
             dilations={"list": {"i": ["1", "1", "1", "1"]}}),
        node("mean", "Mean", ["conv", "axes"], keep_dims={"b": False}),
    ]
    if quantized:
        data = kernel.astype(np.float16).tobytes() + bias.tobytes() + np.array([1, 2], np.int32).tobytes()
        wspec = {"name": "w", "shape": [2, 2, 1, 1], "dtype": "float32", "quantization": {"dtype": "float16"}}
    else:
        data = kernel.tobytes() + bias.tobytes() + np.array([1, 2], np.int32).tobytes()
        wspec = {"name": "w", "shape": [2, 2, 1, 1], "dtype": "float32"}
    (folder / "tiny.bin").write_bytes(data)
    meta = {"format": "graph-model", "modelTopology": {"node": nodes},
            "weightsManifest": [{"paths": ["tiny.bin"], "weights": [
                wspec, {"name": "b", "shape": [1], "dtype": "float32"}, {"name": "axes", "shape": [2], "dtype": "int32"}]}]}
    (folder / "tiny.json").write_text(json.dumps(meta))
    return folder / "tiny.json"


def test_weights_are_dequantised_as_tfjs_does(tmp_path):
    path = tiny_model(tmp_path)
    w = read_weights(path)
    assert w["w"].dtype == torch.float32 and w["w"].reshape(-1).tolist() == [1.0, -1.0, 0.5, 2.0]
    assert w["axes"].dtype == torch.int32 and w["axes"].tolist() == [1, 2]
    meta = json.loads(path.read_text())
    meta["weightsManifest"][0]["weights"].append({"name": "extra", "shape": [4], "dtype": "float32"})
    path.write_text(json.dumps(meta))
    with pytest.raises(MissingDependencyError, match="manifest describes"):
        read_weights(path)


def test_uint8_weights_use_scale_and_min(tmp_path):
    (tmp_path / "q.bin").write_bytes(bytes([0, 10, 255]))
    (tmp_path / "q.json").write_text(json.dumps({"modelTopology": {"node": []}, "weightsManifest": [{"paths": ["q.bin"], "weights": [
        {"name": "q", "shape": [3], "dtype": "float32", "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}}]}]}))
    assert read_weights(tmp_path / "q.json")["q"].tolist() == [-1.0, 4.0, 126.5]


def test_tiny_graph_known_value_shapes_and_gradient(tmp_path):
    graph = TfjsGraph(tiny_model(tmp_path))
    x = torch.arange(16, dtype=torch.float32).reshape(1, 4, 4, 1).requires_grad_()
    conv, mean = graph.run({"x": x}, ["conv", "mean"])
    assert conv.shape == (1, 2, 2, 1) and mean.shape == (1, 1)
    # SAME with stride 2 on 4 pixels needs no padding: each output reads a 2x2 block
    xs = x.detach().numpy()[0, :, :, 0]
    expected = [[max(0.0, xs[i, j] - xs[i, j + 1] + 0.5 * xs[i + 1, j] + 2 * xs[i + 1, j + 1] - 1) for j in (0, 2)] for i in (0, 2)]
    assert np.allclose(conv.detach().numpy()[0, :, :, 0], expected)
    assert mean.item() == pytest.approx(np.mean(expected))
    mean.sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_missing_input_and_unknown_op_are_named(tmp_path):
    path = tiny_model(tmp_path, quantized=False)
    graph = TfjsGraph(path)
    with pytest.raises(ValueError, match="input x"):
        graph.run({}, ["mean"])
    meta = json.loads(path.read_text())
    meta["modelTopology"]["node"][-1]["op"] = "Erf"
    path.write_text(json.dumps(meta))
    with pytest.raises(NotImplementedError, match="Erf"):
        TfjsGraph(path).require(["mean"], ["x"])
    with pytest.raises(MissingDependencyError, match="make setup"):
        TfjsGraph(tmp_path / "absent.json")


def test_resize_bilinear_follows_tensorflow():
    x = torch.tensor([0.0, 10.0]).reshape(1, 1, 2, 1)
    # align_corners off: output i reads input i * 2 / 4 = 0, 0.5, 1, 1.5 (the last clamps at the edge)
    assert resize_bilinear(x, 1, 4).reshape(-1).tolist() == [0.0, 5.0, 10.0, 10.0]
    # half-pixel centres: (i + 0.5) / 2 - 0.5 = -0.25 (clamps to 0), 0.25, 0.75, 1.25 (clamps to 1)
    assert resize_bilinear(x, 1, 4, half_pixel=True).reshape(-1).tolist() == [0.0, 2.5, 7.5, 10.0]


def test_strided_slice_masks_and_gather_nd():
    x = torch.arange(24).reshape(2, 3, 4)
    t = lambda *v: torch.tensor(v)
    shrink = strided_slice(x, t(1, 0, 0), t(2, 3, 4), t(1, 1, 1), {"shrink_axis_mask": {"i": "1"}})
    assert shrink.shape == (3, 4) and shrink[0, 0].item() == 12
    masked = strided_slice(x, t(0, 1, 0), t(0, 0, 2), t(1, 1, 1), {"begin_mask": {"i": "1"}, "end_mask": {"i": "3"}})
    assert masked.shape == (2, 2, 2) and masked[0, 0].tolist() == [4, 5]
    new_axis = strided_slice(x, t(0, 0), t(0, 0), t(1, 1), {"begin_mask": {"i": "1"}, "end_mask": {"i": "1"}, "new_axis_mask": {"i": "2"}})
    assert new_axis.shape == (2, 1, 3, 4)
    picked = gather_nd(x, torch.tensor([[1, 2], [0, 0]], dtype=torch.int32))
    assert picked.tolist() == [[20, 21, 22, 23], [0, 1, 2, 3]]
