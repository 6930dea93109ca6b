"""The SVG chart writer behind the evaluation figure: scales, ticks, bars and a well-formed, labelled document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from cinescribe.evaluate.svgchart import Axis, Canvas, Panel, linear_ticks

NS = "{http://www.w3.org/2000/svg}"


def test_linear_ticks_are_round_and_cover_the_range():
    assert linear_ticks(0, 100) == [0, 20, 40, 60, 80, 100]
    assert linear_ticks(0, 0.37) == pytest.approx([0, 0.1, 0.2, 0.3])
    assert linear_ticks(5, 5) == pytest.approx([5, 5.2, 5.4, 5.6, 5.8, 6])


def test_axis_maps_linear_and_log_values_to_pixels():
    y = Axis(0, 10, 400, 100)  # SVG's y grows downwards
    assert y(0) == 400 and y(10) == 100 and y(5) == 250
    log = Axis(1, 1000, 0, 300, log=True)
    assert log(10) == pytest.approx(100) and log(100) == pytest.approx(200)
    assert log(0) == 0  # a zero count sits on the floor instead of failing
    assert log.ticks() == [1, 10, 100, 1000]


def test_panel_bars_and_document_are_well_formed():
    canvas = Canvas(300, 200)
    panel = Panel(canvas, Axis(-0.5, 1.5, 40, 290), Axis(0, 50, 170, 20), "Scores & <more>", "x", "y")
    panel.frame(grid="y")
    panel.vbar(-0.4, 0.4, 25, "#123456", label="film a: 25")
    panel.hbar(0.6, 1.4, 1.0, "#abcdef", label="film b")
    svg = ET.fromstring(canvas.svg("A title <with> markup", "two bars"))
    assert svg.find(f"{NS}title").text == "A title <with> markup" and svg.get("aria-labelledby") == "title desc"
    bar = next(r for r in svg.iter(f"{NS}rect") if (t := r.find(f"{NS}title")) is not None and t.text == "film a: 25")
    assert float(bar.get("y")) == pytest.approx(95) and float(bar.get("height")) == pytest.approx(75)
    assert float(bar.get("x")) == pytest.approx(52.5) and float(bar.get("width")) == pytest.approx(100)
    texts = [t.text for t in svg.iter(f"{NS}text")]
    assert "Scores & <more>" in texts and {"0", "10", "20", "30", "40", "50"} <= set(texts)


def test_figure_percentile_is_numpys():
    import numpy as np

    from cinescribe.evaluate.plots import _percentile

    rng = np.random.default_rng(0)
    for n in (1, 2, 7, 100, 7311):
        values = np.round(rng.gamma(0.5, 30, n) * (rng.random(n) < 0.7), 2)
        for q in (0, 1, 50, 99, 99.5, 100):
            assert _percentile(values, q) == float(np.percentile(values, q))
    assert _percentile(np.array([0.0, 10.0]), 99) == 9.9
