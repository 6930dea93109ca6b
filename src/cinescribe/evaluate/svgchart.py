"""A small SVG chart writer: axes with linear or log scales, bars, lines, text and legends.

The evaluation figure is drawn with it instead of matplotlib: writing the SVG text takes milliseconds where
importing and rendering matplotlib took seconds, longer than scoring 7k ADs.  SVG opens in every browser,
stays sharp at any zoom and keeps its text selectable and readable by screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from html import escape

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b")
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"


def _num(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def linear_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi]."""
    if hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks, v = [], first
    while v <= hi + 1e-9 * step:
        ticks.append(round(v, 10))
        v += step
    return ticks


def tick_label(v: float) -> str:
    return f"{v:g}" if abs(v) < 1e5 else f"{v:.0e}"


@dataclass
class Axis:
    """A value range drawn over a pixel span; ``log`` maps log10 of the value (values <= 0 sit at the floor)."""

    lo: float
    hi: float
    start: float
    end: float
    log: bool = False

    def __call__(self, value: float) -> float:
        if self.log:
            lo, hi = math.log10(self.lo), math.log10(self.hi)
            v = math.log10(max(value, self.lo))
        else:
            lo, hi, v = self.lo, self.hi, value
        frac = 0.0 if hi == lo else (v - lo) / (hi - lo)
        return self.start + frac * (self.end - self.start)

    def ticks(self) -> list[float]:
        if self.log:
            return [10.0 ** k for k in range(math.ceil(math.log10(self.lo) - 1e-9), math.floor(math.log10(self.hi) + 1e-9) + 1)]
        return [t for t in linear_ticks(self.lo, self.hi) if self.lo - 1e-9 <= t <= self.hi + 1e-9]


@dataclass
class Canvas:
    """SVG elements in drawing order; :meth:`svg` wraps them with an accessible title and description."""

    width: int
    height: int
    parts: list[str] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, opacity: float = 1.0, label: str = "") -> None:
        """A filled rectangle; ``label`` becomes its tooltip (and what a screen reader says for it)."""
        attrs = (f'x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0.0))}" height="{_num(max(h, 0.0))}" fill="{fill}"'
                 + (f' fill-opacity="{opacity:g}"' if opacity < 1 else ""))
        self.parts.append(f"<rect {attrs}><title>{escape(label)}</title></rect>" if label else f"<rect {attrs}/>")

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#000", width: float = 1.0,
             dash: str = "", opacity: float = 1.0) -> None:
        self.parts.append(f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}" '
                          f'stroke-width="{width:g}"' + (f' stroke-dasharray="{dash}"' if dash else "")
                          + (f' stroke-opacity="{opacity:g}"' if opacity < 1 else "") + "/>")

    def text(self, x: float, y: float, content: str, size: float = 12, anchor: str = "start", rotate: float = 0,
             weight: str = "normal", baseline: str = "auto") -> None:
        transform = f' transform="rotate({rotate:g} {_num(x)} {_num(y)})"' if rotate else ""
        self.parts.append(f'<text x="{_num(x)}" y="{_num(y)}" font-size="{size:g}" text-anchor="{anchor}" '
                          f'dominant-baseline="{baseline}" font-weight="{weight}"{transform}>{escape(content)}</text>')

    def svg(self, title: str, description: str) -> str:
        head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" role="img" aria-labelledby="title desc" '
                f'font-family="{FONT}">')
        return "\n".join([head, f'<title id="title">{escape(title)}</title>', f'<desc id="desc">{escape(description)}</desc>',
                          f'<rect width="{self.width}" height="{self.height}" fill="#fff"/>', *self.parts, "</svg>"]) + "\n"


@dataclass
class Panel:
    """A plotting area inside ``canvas``: x and y axes, a frame, grid lines, a title and axis labels."""

    canvas: Canvas
    x: Axis
    y: Axis
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""

    @property
    def box(self) -> tuple[float, float, float, float]:
        return self.x.start, self.y.end, self.x.end, self.y.start  # left, top, right, bottom

    def frame(self, xticks: bool = True, yticks: bool = True, grid: str = "") -> None:
        c, (left, top, right, bottom) = self.canvas, self.box
        if yticks:
            for t in self.y.ticks():
                py = self.y(t)
                if grid in ("y", "both"):
                    c.line(left, py, right, py, "#000", 0.6, opacity=0.2)
                c.line(left - 4, py, left, py)
                c.text(left - 7, py, tick_label(t), 10, "end", baseline="middle")
        if xticks:
            for t in self.x.ticks():
                px = self.x(t)
                c.line(px, bottom, px, bottom + 4)
                c.text(px, bottom + 16, tick_label(t), 10, "middle")
        c.line(left, top, right, top)
        c.line(left, bottom, right, bottom)
        c.line(left, top, left, bottom)
        c.line(right, top, right, bottom)
        if self.title:
            c.text((left + right) / 2, top - 10, self.title, 13, "middle")
        if self.xlabel:
            c.text((left + right) / 2, bottom + 34, self.xlabel, 11, "middle")
        if self.ylabel:
            c.text(left - 42, (top + bottom) / 2, self.ylabel, 11, "middle", rotate=-90)

    def vbar(self, x0: float, x1: float, value: float, fill: str, opacity: float = 1.0, label: str = "") -> None:
        """A vertical bar from the y axis' floor to ``value``, between data coordinates ``x0`` and ``x1``."""
        base, top = self.y(self.y.lo), self.y(value)
        left, right = self.x(x0), self.x(x1)
        self.canvas.rect(left, min(base, top), right - left, abs(base - top), fill, opacity, label)

    def hbar(self, y0: float, y1: float, value: float, fill: str, label: str = "") -> None:
        """A horizontal bar from the x axis' floor to ``value``, between data coordinates ``y0`` and ``y1``."""
        base, end = self.x(self.x.lo), self.x(value)
        top, bottom = self.y(y1), self.y(y0)
        self.canvas.rect(min(base, end), top, abs(end - base), bottom - top, fill, 1.0, label)

    def legend(self, entries: list[tuple[str, str]], columns: int = 1, opacity: float = 1.0,
               corner: str = "upper left", width: float = 0.0) -> None:
        """Colour keys in the panel's ``corner`` ("upper left" or "lower right"), ``columns`` per row;
        ``width``: the space one key takes in the lower-right corner (its text's length)."""
        left, top, right, bottom = self.box
        column = (right - left - 16) / max(columns, 1)
        rows = -(-len(entries) // max(columns, 1))
        for i, (label, colour) in enumerate(entries):
            if corner == "lower right":
                px, py = right - 8 - width, bottom - 8 - 17 * (rows - i // columns) + 7
            else:
                px, py = left + 8 + (i % columns) * column, top + 10 + (i // columns) * 17
            self.canvas.rect(px, py, 12, 10, colour, opacity)
            self.canvas.text(px + 17, py + 5, label, 10, baseline="middle")
