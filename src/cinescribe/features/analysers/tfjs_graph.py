"""TF.js graph models run by PyTorch, on the CPU or a CUDA GPU.

A TF.js graph model is a TensorFlow GraphDef written as JSON (``model.json``: nodes with an op,
inputs and attributes) plus binary weight shards (float32, or float16 / uint8 quantised, which
TF.js itself turns back to float32 on load).  :class:`TfjsGraph` reads both and evaluates the
nodes a request needs, on demand, with PyTorch operations that follow TensorFlow's definitions:

* 4-d activations stay NHWC as in TensorFlow; convolutions view them as channels-last NCHW, so no
  copy is made.  ``SAME`` padding is TensorFlow's (the odd pixel goes after).
* ``ResizeBilinear`` maps output pixel ``i`` to input ``i * in / out`` (the graphs here use
  ``align_corners=False, half_pixel_centers=False``).
* int32 tensors that hold shapes stay on the CPU; float work runs on ``device``.
* :meth:`TfjsGraph.run_batched` runs a graph written for one frame on a batch: the part that
  treats each frame on its own runs once for all, on ``device``; the rest (on a GPU, the many tiny
  ops of decoding) runs frame by frame on the CPU, with a CPU copy of the weights.

Only feed-forward graphs run here.  Control flow (``Enter``/``Exit`` loops, tensor lists) is not
evaluated: a caller computes such a loop itself and feeds its result by node name (``feeds``), the
way :mod:`.human_torch` does for the two graphs that hold one.

Shapes at the boundary: ``run({name: Tensor}, [output names]) -> [Tensor]``, e.g. CenterNet's
``{"tower_0/images": (1, 512, 512, 3) float32}`` gives ``tower_0/detections`` ``(1, 100, 6)``.
"""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from ...errors import MissingDependencyError

DTYPES = {"DT_FLOAT": torch.float32, "DT_DOUBLE": torch.float32, "DT_INT32": torch.int32, "DT_INT64": torch.int32,
          "DT_BOOL": torch.bool}  # as TF.js, which has no 64-bit types
CONV_OPS = ("Conv2D", "_FusedConv2D", "DepthwiseConv2dNative", "FusedDepthwiseConv2dNative")


def _text(attr: Mapping, key: str) -> str:
    return base64.b64decode(attr[key]["s"]).decode()


def _ints(attr: Mapping, key: str) -> list[int]:
    return [int(i) for i in attr.get(key, {}).get("list", {}).get("i", [])]


def _int(attr: Mapping, key: str, default: int = 0) -> int:
    return int(attr.get(key, {}).get("i", default))


def read_weights(model_json: Path) -> dict[str, torch.Tensor]:
    """Every weight of a TF.js model, as TF.js loads it (float16 and uint8 dequantised to float32)."""
    meta = json.loads(model_json.read_text())
    folder = model_json.parent
    data = b"".join((folder / p).read_bytes() for group in meta["weightsManifest"] for p in group["paths"])
    weights: dict[str, torch.Tensor] = {}
    offset = 0
    for group in meta["weightsManifest"]:
        for spec in group["weights"]:
            count = int(np.prod(spec["shape"])) if spec["shape"] else 1
            quant = spec.get("quantization")
            stored = np.dtype(quant["dtype"] if quant else {"float32": np.float32, "int32": np.int32, "bool": np.bool_}[spec["dtype"]])
            if offset + count * stored.itemsize > len(data):
                raise MissingDependencyError(f"the weights of {model_json} are {len(data)} bytes, fewer than its manifest "
                                             f"describes; reinstall the perception models (`make setup`)")
            raw = np.frombuffer(data, dtype=stored, count=count, offset=offset)
            offset += count * stored.itemsize
            if quant and quant["dtype"] != "float16":  # affine uint8/uint16: value * scale + min, in float32 as TF.js does
                raw = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            weights[spec["name"]] = torch.from_numpy(raw.astype(np.float32) if quant else raw.copy()).reshape(spec["shape"])
    if offset != len(data):
        raise MissingDependencyError(f"the weights of {model_json} are {len(data)} bytes but its manifest describes "
                                     f"{offset}; reinstall the perception models (`make setup`)")
    return weights


def _same_padding(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's ``SAME`` padding of one axis: (before, after), the odd pixel after."""
    extent = (kernel - 1) * dilation + 1
    total = max((math.ceil(size / stride) - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def resize_bilinear(x: torch.Tensor, height: int, width: int, half_pixel: bool = False) -> torch.Tensor:
    """TensorFlow's ``ResizeBilinear`` (align_corners off) of ``(N, H, W, C)``: output pixel ``i`` reads
    input ``i * in / out``, or ``(i + 0.5) * in / out - 0.5`` with ``half_pixel`` centres."""
    _, h, w, _ = x.shape

    def axis(out: int, size: int):
        src = torch.arange(out, dtype=torch.float32, device=x.device)
        src = (src + 0.5) * (size / out) - 0.5 if half_pixel else src * (size / out)
        floor = src.floor()
        lo = floor.long()
        return lo.clamp(0, size - 1), (lo + 1).clamp(0, size - 1), src - floor

    y0, y1, fy = axis(height, h)
    x0, x1, fx = axis(width, w)
    top, bottom = x[:, y0], x[:, y1]
    fx = fx.reshape(1, 1, width, 1)
    upper = top[:, :, x0] + (top[:, :, x1] - top[:, :, x0]) * fx
    lower = bottom[:, :, x0] + (bottom[:, :, x1] - bottom[:, :, x0]) * fx
    return upper + (lower - upper) * fy.reshape(1, height, 1, 1)


def strided_slice(x: torch.Tensor, begin, end, strides, attr: Mapping) -> torch.Tensor:
    """TensorFlow's ``StridedSlice`` with its begin/end/shrink/new-axis/ellipsis masks (positive strides)."""
    masks = {k: _int(attr, k) for k in ("begin_mask", "end_mask", "shrink_axis_mask", "new_axis_mask", "ellipsis_mask")}
    index: list = []
    for d, (b, e, s) in enumerate(zip(begin.tolist(), end.tolist(), strides.tolist())):
        if masks["ellipsis_mask"] >> d & 1:
            index.append(Ellipsis)
        elif masks["new_axis_mask"] >> d & 1:
            index.append(None)
        elif masks["shrink_axis_mask"] >> d & 1:
            index.append(b)
        else:
            if s <= 0:
                raise NotImplementedError("StridedSlice with a negative stride")
            index.append(slice(None if masks["begin_mask"] >> d & 1 else b, None if masks["end_mask"] >> d & 1 else e, s))
    return x[tuple(index)]


def gather_nd(params: torch.Tensor, indices: torch.Tensor) -> torch.Tensor:
    """TensorFlow's ``GatherNd``: the last axis of ``indices`` indexes the leading axes of ``params``."""
    depth = indices.shape[-1]
    flat = indices.reshape(-1, depth).long().to(params.device)
    picked = params[tuple(flat[:, k] for k in range(depth))]
    return picked.reshape(*indices.shape[:-1], *params.shape[depth:])


def _together(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Two operands on one device (a shape-like CPU int tensor joins the other's device)."""
    if a.device != b.device:
        if a.device.type == "cpu":
            a = a.to(b.device)
        else:
            b = b.to(a.device)
    return a, b


def _binary(fn: Callable) -> Callable:
    return lambda x, n: fn(*_together(x[0], x[1]))


def _floordiv(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return torch.div(a, b, rounding_mode="floor")


def _where(cond: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    a, b = _together(a, b)
    return torch.where(cond.to(a.device), a, b)


def _reduce(fn: Callable) -> Callable:
    def run(x, n):
        dims = [int(d) for d in x[1].reshape(-1).tolist()]
        return fn(x[0], dims, n.get("attr", {}).get("keep_dims", {}).get("b", False))
    return run


ELEMENTWISE: dict[str, Callable] = {
    "Add": _binary(torch.add), "AddV2": _binary(torch.add), "Sub": _binary(torch.sub), "Mul": _binary(torch.mul),
    "RealDiv": _binary(torch.div), "FloorDiv": _binary(_floordiv), "FloorMod": _binary(torch.remainder),
    "Maximum": _binary(torch.maximum), "Minimum": _binary(torch.minimum),
    "SquaredDifference": _binary(lambda a, b: (a - b) * (a - b)),
    "Equal": _binary(torch.eq), "Less": _binary(torch.lt), "Greater": _binary(torch.gt),
    "GreaterEqual": _binary(torch.ge), "LogicalAnd": _binary(torch.logical_and),
    "Relu": lambda x, n: F.relu(x[0]), "Relu6": lambda x, n: F.relu6(x[0]), "Sigmoid": lambda x, n: torch.sigmoid(x[0]),
    "Exp": lambda x, n: torch.exp(x[0]), "Abs": lambda x, n: torch.abs(x[0]), "Neg": lambda x, n: -x[0],
    "Ceil": lambda x, n: torch.ceil(x[0]), "Reciprocal": lambda x, n: torch.reciprocal(x[0]),
    "Softmax": lambda x, n: torch.softmax(x[0], dim=-1),
    "AddN": lambda x, n: sum(x[1:], x[0]),
    "Select": lambda x, n: _where(x[0], x[1], x[2]),
    "Mean": _reduce(lambda t, d, k: t.mean(dim=d, keepdim=k)),
    "Sum": _reduce(lambda t, d, k: t.sum(dim=d, keepdim=k)),
    "Max": _reduce(lambda t, d, k: t.amax(dim=d, keepdim=k)),
}


def _shape_op(x, n):
    return torch.tensor(list(x[0].shape), dtype=torch.int32)


def _reshape(x, n):
    return x[0].reshape([int(v) for v in x[1].reshape(-1).tolist()])


def _concat(x, n):
    axis = int(x[-1])
    parts = x[:-1]
    device = next((p.device for p in parts if p.device.type != "cpu"), parts[0].device)
    return torch.cat([p.to(device) for p in parts], dim=axis)


def _pack(x, n):
    axis = _int(n["attr"], "axis")
    device = next((p.device for p in x if p.device.type != "cpu"), x[0].device)
    return torch.stack([p.to(device) for p in x], dim=axis)


def _unpack(x, n):
    return tuple(torch.unbind(x[0], dim=_int(n["attr"], "axis")))


def _split(x, n):
    return tuple(torch.chunk(x[1], _int(n["attr"], "num_split"), dim=int(x[0])))


def _squeeze(x, n):
    dims = _ints(n["attr"], "squeeze_dims")
    out = x[0]
    for d in sorted((d % out.dim() for d in dims), reverse=True) if dims else []:
        out = out.squeeze(d)
    return out if dims else x[0].squeeze()


def _gather(x, n):
    params, indices, axis = x[0], x[1].long().to(x[0].device), int(x[2]) % x[0].dim()
    picked = torch.index_select(params, axis, indices.reshape(-1))
    return picked.reshape(*params.shape[:axis], *indices.shape, *params.shape[axis + 1:])


def _topk(x, n):
    values, indices = torch.topk(x[0], int(x[1]), dim=-1, sorted=True)
    return values, indices.to(torch.int32)


def _cast(x, n):
    return x[0].to(DTYPES[n["attr"]["DstT"]["type"]])


def _max_pool(x, n):
    attr = n["attr"]
    k, s = _ints(attr, "ksize"), _ints(attr, "strides")
    y = x[0].permute(0, 3, 1, 2)
    if _text(attr, "padding") == "SAME":
        top, bottom = _same_padding(y.shape[2], k[1], s[1])
        left, right = _same_padding(y.shape[3], k[2], s[2])
        y = F.pad(y, (left, right, top, bottom), value=float("-inf"))
    return F.max_pool2d(y, (k[1], k[2]), (s[1], s[2])).permute(0, 2, 3, 1)


def _resize(x, n):
    attr = n["attr"]
    if attr.get("align_corners", {}).get("b"):
        raise NotImplementedError("ResizeBilinear with align_corners")
    height, width = (int(v) for v in x[1].tolist())
    return resize_bilinear(x[0], height, width, attr.get("half_pixel_centers", {}).get("b", False))


def _pad(x, n):
    pads = x[1].tolist()
    flat: list[int] = []
    for before, after in reversed(pads):
        flat += [int(before), int(after)]
    return F.pad(x[0], flat, value=float(x[2]) if len(x) > 2 else 0.0)


def _range(x, n):
    return torch.arange(int(x[0]), int(x[1]), int(x[2]), dtype=torch.int32)


def _fill(x, n):
    shape = [int(v) for v in x[0].reshape(-1).tolist()]
    return torch.full(shape, x[1].item(), dtype=x[1].dtype, device=x[1].device)


def _tile(x, n):
    return x[0].repeat(*[int(v) for v in x[1].tolist()])


def _slice(x, n):
    begin, size = x[1].tolist(), x[2].tolist()
    return x[0][tuple(slice(b, None if s < 0 else b + s) for b, s in zip(begin, size))]


def _transpose(x, n):
    return x[0].permute(*[int(v) for v in x[1].tolist()])


def _argmax(x, n):
    return torch.argmax(x[0], dim=int(x[1])).to(torch.int32)


def _broadcast_to(x, n):
    return x[0].expand(*[int(v) for v in x[1].tolist()])


def _fused(y: torch.Tensor, attr: Mapping, extra: Sequence[torch.Tensor], channel_shape: tuple[int, ...]) -> torch.Tensor:
    """The ops TF.js fused into a convolution or matrix product (bias, then activation)."""
    for fused in (base64.b64decode(s).decode() for s in attr.get("fused_ops", {}).get("list", {}).get("s", [])):
        if fused in ("BiasAdd", "FusedBatchNorm"):
            y = y + extra[0].reshape(channel_shape)
        elif fused == "Relu":
            y = F.relu(y)
        elif fused == "Relu6":
            y = F.relu6(y)
        elif fused == "Prelu":
            y = torch.where(y > 0, y, y * extra[1].reshape(channel_shape))
        else:
            raise NotImplementedError(f"fused op {fused} is not supported")
    return y


def _matmul(x, n):
    attr = n.get("attr", {})
    a = x[0].transpose(-1, -2) if attr.get("transpose_a", {}).get("b") else x[0]
    b = x[1].transpose(-1, -2) if attr.get("transpose_b", {}).get("b") else x[1]
    return _fused(a @ b, attr, x[2:], (1, -1))


STRUCTURAL: dict[str, Callable] = {
    "MatMul": _matmul, "_FusedMatMul": _matmul,
    "Identity": lambda x, n: x[0], "Shape": _shape_op, "Reshape": _reshape, "ConcatV2": _concat,
    "Pack": _pack, "Unpack": _unpack, "Split": _split, "Squeeze": _squeeze,
    "ExpandDims": lambda x, n: x[0].unsqueeze(int(x[1])),
    "Size": lambda x, n: torch.tensor(x[0].numel(), dtype=torch.int32),
    "GatherV2": _gather, "GatherNd": lambda x, n: gather_nd(x[0], x[1]), "TopKV2": _topk, "Cast": _cast,
    "StridedSlice": lambda x, n: strided_slice(x[0], x[1], x[2], x[3], n.get("attr", {})),
    "MaxPool": _max_pool, "ResizeBilinear": _resize, "Pad": _pad, "PadV2": _pad, "Range": _range, "Fill": _fill,
    "Tile": _tile, "Slice": _slice, "Transpose": _transpose, "ArgMax": _argmax, "BroadcastTo": _broadcast_to,
}
OPS = {**ELEMENTWISE, **STRUCTURAL}

PER_ITEM_OPS = {*CONV_OPS, "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference", "Relu",
                "Relu6", "Sigmoid", "Exp", "Abs", "Neg", "Reciprocal", "AddN", "Cast", "Identity", "MaxPool",
                "ResizeBilinear", "ConcatV2", "Mean", "Pad"}
"""Ops that treat each item of a batch on its own (given the axis checks of :meth:`TfjsGraph.per_item`)."""


class TfjsGraph:
    """One TF.js graph model (``model_json``) evaluated with PyTorch on ``device``."""

    def __init__(self, model_json: str | Path, device: str | torch.device = "cpu") -> None:
        path = Path(model_json)
        if not path.is_file():
            raise MissingDependencyError(f"the perception model {path} is missing; run `make setup`")
        meta = json.loads(path.read_text())
        self.name = path.stem
        self.device = torch.device(device)
        self.nodes: dict[str, dict] = {n["name"]: n for n in meta["modelTopology"]["node"]}
        weights = read_weights(path)
        self.consts: dict[str, torch.Tensor] = {}
        self._frontiers: dict[tuple, list[str]] = {}
        self._plans: dict[tuple, tuple[list[str], list[list[str]]]] = {}
        self.kernels: dict[str, torch.Tensor] = {}
        self.host_consts: dict[str, torch.Tensor] = {}
        self.host_kernels: dict[str, torch.Tensor] = {}
        for name, node in self.nodes.items():
            if node["op"] in CONV_OPS:
                w = weights[node["input"][1]]
                if node["op"].endswith("DepthwiseConv2dNative"):  # (kh, kw, C, m) -> (C * m, 1, kh, kw)
                    kh, kw, c, m = w.shape
                    w = w.permute(2, 3, 0, 1).reshape(c * m, 1, kh, kw)
                else:  # (kh, kw, in, out) -> (out, in, kh, kw)
                    w = w.permute(3, 2, 0, 1)
                self.host_kernels[name] = w.contiguous(memory_format=torch.channels_last)
                self.kernels[name] = self.host_kernels[name].to(self.device)
        for node in self.nodes.values():
            if node["op"] in CONV_OPS:
                weights.pop(node["input"][1], None)
        for name, value in weights.items():  # float weights on the device, int32 (shapes, axes) on the CPU
            self.host_consts[name] = value
            self.consts[name] = value.to(self.device) if value.is_floating_point() else value

    def require(self, outputs: Sequence[str], feeds: Sequence[str]) -> None:
        """Raises NotImplementedError naming any op that ``outputs`` need (short of ``feeds``) and this runtime lacks."""
        seen, stack, missing = set(feeds), [o.split(":")[0] for o in outputs], set()
        while stack:
            name = stack.pop()
            if name in seen:
                continue
            seen.add(name)
            node = self.nodes[name]
            if node["op"] not in OPS and node["op"] not in CONV_OPS and node["op"] not in ("Const", "Placeholder"):
                missing.add(node["op"])
            stack.extend(i.split(":")[0] for i in node.get("input", []) if not i.startswith("^"))
        if missing:
            raise NotImplementedError(f"{self.name}: ops {sorted(missing)} are not supported")

    def per_item(self, name: str, feeds: Sequence[str], memo: dict[str, bool]) -> bool:
        """Whether node ``name`` computes each item of a batch fed at ``feeds`` on its own: an op of
        :data:`PER_ITEM_OPS` (concatenation, means and padding not along axis 0) over such nodes or
        constants."""
        if name in memo:
            return memo[name]
        memo[name] = False
        node = self.nodes[name]
        refs = [i.split(":")[0] for i in node.get("input", []) if not i.startswith("^")]
        if name in feeds or node["op"] == "Const":
            ok = True
        elif node["op"] not in PER_ITEM_OPS:
            ok = False
        else:
            const = lambda r: self.host_consts[r] if self.nodes[r]["op"] == "Const" and r in self.host_consts else None
            if node["op"] == "ConcatV2":
                axis = const(refs[-1])
                ok = axis is not None and int(axis) % 4 != 0
                refs = refs[:-1]
            elif node["op"] == "Mean":
                axes = const(refs[1])
                ok = axes is not None and all(int(a) % 4 != 0 for a in axes.reshape(-1))
                refs = refs[:1]
            elif node["op"] == "Pad":  # constant paddings, or ones computed from the frame's size (never its batch axis)
                pads = const(refs[1])
                ok = pads[0].abs().sum().item() == 0 if pads is not None else self._sized(refs[1], feeds, {})
                refs = refs[:1]
            else:
                ok = True
            ok = ok and all(self.per_item(r, feeds, memo) for r in refs)
        memo[name] = ok
        return ok

    def _sized(self, name: str, feeds: Sequence[str], memo: dict[str, bool]) -> bool:
        """Whether node ``name`` depends on ``feeds`` only through their shapes' height and width
        (``Shape`` followed by ``Unpack`` or ``StridedSlice`` picking axis 1 or 2)."""
        if name in memo:
            return memo[name]
        memo[name] = False
        node = self.nodes[name]
        refs = [i for i in node.get("input", []) if not i.startswith("^")]
        if name in feeds:
            ok = False
        elif node["op"] == "Const":
            ok = True
        elif node["op"] == "Unpack" and self.nodes[refs[0].split(":")[0]]["op"] == "Shape":
            ok = False  # only the picked outputs below are allowed
        else:
            ok = all(self._sized_ref(r, feeds, memo) for r in refs)
        memo[name] = ok
        return ok

    def _sized_ref(self, ref: str, feeds: Sequence[str], memo: dict[str, bool]) -> bool:
        name, _, k = ref.partition(":")
        node = self.nodes[name]
        if node["op"] == "Unpack" and self.nodes[node["input"][0].split(":")[0]]["op"] == "Shape":
            return int(k or 0) in (1, 2)
        if node["op"] == "StridedSlice" and self.nodes[node["input"][0].split(":")[0]]["op"] == "Shape":
            begin = self.host_consts.get(node["input"][1].split(":")[0])
            return begin is not None and _int(node.get("attr", {}), "shrink_axis_mask") == 1 and int(begin[0]) in (1, 2)
        return self._sized(name, feeds, memo)

    def batch_frontier(self, feeds: Sequence[str], outputs: Sequence[str]) -> list[str]:
        """The nodes, as far from ``feeds`` as the graph stays per item, that ``outputs`` read."""
        key = (tuple(feeds), tuple(outputs))
        if key not in self._frontiers:
            memo: dict[str, bool] = {}
            found: list[str] = []
            seen: set[str] = set()
            stack = [o.split(":")[0] for o in outputs]
            while stack:
                name = stack.pop()
                if name in seen or self.nodes[name]["op"] == "Const":
                    continue
                seen.add(name)
                if self.per_item(name, feeds, memo):
                    found.append(name)
                    continue
                stack.extend(i.split(":")[0] for i in self.nodes[name].get("input", []) if not i.startswith("^"))
            self._frontiers[key] = sorted(found)
        return self._frontiers[key]

    def run_batched(self, feeds: Mapping[str, torch.Tensor], outputs: Sequence[str]) -> list[list[torch.Tensor]]:
        """``run`` for a batch of N items in a graph written for one: the per-item part (see
        :meth:`batch_frontier`) runs once on the whole batch, the rest item by item.  Returns N lists
        of ``outputs``, each as ``run`` gives it for that item alone."""
        frontier = self.batch_frontier(list(feeds), outputs)
        shared = dict(zip(frontier, (v.cpu() for v in self.run(feeds, frontier))))
        feeds = {k: v.cpu() for k, v in feeds.items()}
        count = next(iter(feeds.values())).shape[0]
        return [self.run({**{k: v[i:i + 1] for k, v in feeds.items()}, **{k: v[i:i + 1] for k, v in shared.items()}}, outputs,
                         host=True) for i in range(count)]

    def run(self, feeds: Mapping[str, torch.Tensor], outputs: Sequence[str], host: bool = False) -> list[torch.Tensor]:
        """The ``outputs`` (``name`` or ``name:k``) given the ``feeds`` (placeholders or any node),
        with the weights on ``device`` (or on the CPU with ``host``, for CPU feeds)."""
        values: dict[str, object] = dict(feeds)
        weights = (self.host_consts, self.host_kernels) if host else (self.consts, self.kernels)

        def value(ref: str):
            name, _, k = ref.partition(":")
            v = values[name]
            return v[int(k or 0)] if isinstance(v, tuple) else v

        order, release = self._plan(tuple(feeds), tuple(outputs))
        for name, done in zip(order, release):
            values[name] = self._evaluate(self.nodes[name], value, weights)
            for dead in done:  # an activation is dropped once its last reader has run
                del values[dead]
        return [value(o) for o in outputs]

    def _plan(self, feeds: tuple[str, ...], outputs: tuple[str, ...]) -> tuple[list[str], list[list[str]]]:
        """The nodes ``outputs`` need beyond ``feeds``, in an order that computes each after its
        inputs, and, after each, the values no later node reads (feeds and outputs are kept)."""
        key = (feeds, outputs)
        if key not in self._plans:
            order: list[str] = []
            state: dict[str, bool] = {}  # False: being visited, True: placed
            for out in outputs:
                stack = [(out.split(":")[0], False)]
                while stack:
                    name, expanded = stack.pop()
                    if expanded:
                        state[name] = True
                        order.append(name)
                        continue
                    if name in feeds or name in state:
                        continue
                    state[name] = False
                    stack.append((name, True))
                    stack.extend((r.split(":")[0], False) for r in self.nodes[name].get("input", [])
                                 if not r.startswith("^") and state.get(r.split(":")[0]) is None and r.split(":")[0] not in feeds)
            position = {name: i for i, name in enumerate(order)}
            last: dict[str, int] = {}
            for i, name in enumerate(order):
                for r in self.nodes[name].get("input", []):
                    if not r.startswith("^"):
                        last[r.split(":")[0]] = i
            keep = set(feeds) | {o.split(":")[0] for o in outputs}
            release: list[list[str]] = [[] for _ in order]
            for name, i in last.items():
                if name not in keep and name in position:
                    release[i].append(name)
            self._plans[key] = (order, release)
        return self._plans[key]

    def _evaluate(self, node: dict, value: Callable, weights: tuple[dict, dict]):
        op = node["op"]
        if op == "Const":  # (a convolution's kernel is kept apart, laid out for PyTorch)
            return weights[0].get(node["name"])
        if op == "Placeholder":
            raise ValueError(f"{self.name}: input {node['name']} was not given")
        refs = [i for i in node.get("input", []) if not i.startswith("^")]
        if op in CONV_OPS:  # input 1 is the kernel, kept laid out for PyTorch
            return self._conv(node, weights[1][node["name"]], [value(refs[0]), None, *(value(r) for r in refs[2:])])
        inputs = [value(r) for r in refs]
        if op not in OPS:
            raise NotImplementedError(f"{self.name}: op {op} is not supported")
        return OPS[op](inputs, node)

    def _conv(self, node: dict, kernel: torch.Tensor, inputs: list[torch.Tensor]) -> torch.Tensor:
        attr = node["attr"]
        strides, dilations = _ints(attr, "strides"), _ints(attr, "dilations") or [1, 1, 1, 1]
        x = inputs[0].permute(0, 3, 1, 2)  # NHWC storage viewed as channels-last NCHW
        padding = _text(attr, "padding")
        if padding == "SAME":
            top, bottom = _same_padding(x.shape[2], kernel.shape[2], strides[1], dilations[1])
            left, right = _same_padding(x.shape[3], kernel.shape[3], strides[2], dilations[2])
            x = F.pad(x, (left, right, top, bottom))
        elif padding == "EXPLICIT":
            p = _ints(attr, "explicit_paddings")
            x = F.pad(x, (p[4], p[5], p[2], p[3]))
        groups = x.shape[1] if node["op"].endswith("DepthwiseConv2dNative") else 1
        y = F.conv2d(x, kernel, None, (strides[1], strides[2]), 0, (dilations[1], dilations[2]), groups)
        if node["op"] in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            y = _fused(y, attr, inputs[2:], (1, -1, 1, 1))
        return y.permute(0, 2, 3, 1)
