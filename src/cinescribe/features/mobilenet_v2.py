"""MobileNetV2 (Sandler et al., 2018), laid out so that torchvision's ImageNet checkpoint loads strictly.

Shapes at the boundary: ``forward(x)`` takes normalised RGB ``(B, 3, H, W)`` (224x224 for the
ImageNet weights) and returns class logits ``(B, num_classes)``; ``features(x)`` returns the
globally average-pooled last feature map ``(B, last_channel)`` (1280 for width 1.0).

Every block is an inverted residual (paper, Table 1): a 1x1 expansion to ``t * c_in`` channels
(ReLU6), a 3x3 depthwise convolution with stride ``s`` (ReLU6), then a linear 1x1 projection to
``c_out``; the input is added back when ``s == 1`` and ``c_in == c_out``.  The body follows the
paper's Table 2: rows ``(t, c, n, s)`` repeat a block ``n`` times, the first with stride ``s``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

# (expansion t, output channels c, repeats n, first stride s) -- Sandler et al., Table 2
IMAGENET_BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
)


def _divisible(v: float, divisor: int = 8) -> int:
    """``v`` rounded to a multiple of ``divisor``, never more than 10% below ``v`` (as the reference code)."""
    out = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return out + divisor if out < 0.9 * v else out


@dataclass(frozen=True)
class MobileNetV2Config:
    """Width multiplier, block table, stem and head widths, number of classes."""

    width: float = 1.0
    blocks: tuple[tuple[int, int, int, int], ...] = IMAGENET_BLOCKS
    stem: int = 32
    last_channel: int = 1280
    num_classes: int = 1000
    dropout: float = 0.2


def _conv_bn(c_in: int, c_out: int, kernel: int = 3, stride: int = 1, groups: int = 1, relu: bool = True) -> nn.Sequential:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, stride, (kernel - 1) // 2, groups=groups, bias=False),
                               nn.BatchNorm2d(c_out)]
    if relu:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    """``(B, c_in, H, W) -> (B, c_out, H / stride, W / stride)``; see the module docstring."""

    def __init__(self, c_in: int, c_out: int, stride: int, expand: int) -> None:
        super().__init__()
        hidden = round(c_in * expand)
        self.residual = stride == 1 and c_in == c_out
        layers: list[nn.Module] = [_conv_bn(c_in, hidden, 1)] if expand != 1 else []
        layers += [_conv_bn(hidden, hidden, 3, stride, groups=hidden),
                   nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """``(B, 3, H, W)`` -> logits ``(B, num_classes)``; :meth:`pooled` gives ``(B, last_channel)``."""

    def __init__(self, cfg: MobileNetV2Config = MobileNetV2Config()) -> None:
        super().__init__()
        self.cfg = cfg
        c = _divisible(cfg.stem * cfg.width)
        self.last_channel = _divisible(cfg.last_channel * max(1.0, cfg.width))
        layers: list[nn.Module] = [_conv_bn(3, c, 3, 2)]
        for t, channels, n, s in cfg.blocks:
            out = _divisible(channels * cfg.width)
            for i in range(n):
                layers.append(InvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        layers.append(_conv_bn(c, self.last_channel, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(cfg.dropout), nn.Linear(self.last_channel, cfg.num_classes))

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, last_channel)``: the last feature map averaged over space."""
        return self.features(x).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W) -> (B, num_classes)`` logits."""
        return self.classifier(self.pooled(x))
