"""Clothing colour by the votes of a region's pixels, on synthetic regions and on the demo's photos framed as
the demo frames them."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from PIL import Image

from cinescribe.demo import sample_photo
from cinescribe.features.analysers.appearance import (COLOURS, colour_name, colour_names, majority_rgb, median_rgb,
                                                      torso_region)
from cinescribe.features.analysers.base import FrameAnalysis
from cinescribe.features.analysers.human import HumanAnalyser, find_node_dir

NODE_READY = shutil.which("node") is not None and (find_node_dir() / "node_modules" / "@vladmandic" / "human-models").is_dir()
ORANGE, BLACK = (230, 110, 40), (15, 15, 15)


def test_colour_names_of_plain_colours():
    pixels = np.array([BLACK, (245, 245, 245), (128, 128, 128), (100, 60, 20), (200, 30, 30), ORANGE,
                       (230, 220, 40), (40, 180, 60), (40, 80, 200), (130, 40, 200), (250, 170, 190)])
    assert [COLOURS[i] for i in colour_names(pixels)] == list(COLOURS)
    assert colour_name(ORANGE) == "orange"


def _two_colours(share: float) -> np.ndarray:
    """A 100x100 picture whose top ``share`` rows are orange and the rest black."""
    image = np.empty((100, 100, 3), np.uint8)
    image[:] = BLACK
    image[: round(100 * share)] = ORANGE
    return image


def test_a_colour_needs_a_clear_majority_of_pixels():
    whole = (0.0, 0.0, 1.0, 1.0)
    assert majority_rgb(_two_colours(0.55), whole) is None  # the median would name one of them anyway
    assert median_rgb(_two_colours(0.55), whole) is not None
    assert colour_name(majority_rgb(_two_colours(0.8), whole)) == "orange"
    assert colour_name(majority_rgb(_two_colours(0.2), whole)) == "black"


def test_a_region_mostly_outside_the_frame_has_no_colour():
    assert majority_rgb(_two_colours(1.0), (0.5, 0.5, 3.0, 3.0)) is None


def framed(name: str, zoom: float = 1.044) -> np.ndarray:
    """A sample photo framed as the demo frames it (cover 736x414 cropped near the top, then a
    640x360 window of a slow zoom; 1.044 is 1.76 s into the astronaut's 6 s shot)."""
    img = sample_photo(name)
    img = np.stack([img] * 3, -1) if img.ndim == 2 else img[..., :3]
    h, w = img.shape[:2]
    k = max(736 / w, 414 / h)
    cw, ch = 640 / zoom, 360 / zoom
    x0, y0 = (w * k - cw) / 2, (h * k - 414) / 8 + (414 - ch) / 3
    box = tuple(round(v / k) for v in (x0, y0, x0 + cw, y0 + ch))
    return np.asarray(Image.fromarray(np.ascontiguousarray(img)).crop(box).resize((640, 360)))


@pytest.fixture(scope="module")
def faces():
    if not NODE_READY:
        pytest.skip("node or node/node_modules missing (run `make setup`)")
    out = {}
    with HumanAnalyser(objects=False, faces=True, poses=True) as human:
        for name in ("astronaut", "camera"):
            image = framed(name)
            fa = FrameAnalysis(t=0.0)
            human.analyse([image], [fa])
            assert fa.faces, f"no face found in the framed {name} photo"
            out[name] = (image, fa.faces[0])
    return out


def test_the_astronaut_below_her_face_is_not_black(faces):
    """Under her chin: a black undergarment, a purple-grey neck ring and the orange suit. The
    median calls it black; the pixels' votes (black 0.62) are no clear majority."""
    image, face = faces["astronaut"]
    below = torso_region(face.box, None, 640 / 360)
    assert colour_name(median_rgb(image, below)) == "black"
    assert majority_rgb(image, below) is None
    assert face.torso_rgb is None or colour_name(face.torso_rgb) == "orange"


def test_the_cameraman_wears_black(faces):
    image, face = faces["camera"]
    assert colour_name(majority_rgb(image, torso_region(face.box, None, 640 / 360))) == "black"
    assert face.torso_rgb is not None and colour_name(face.torso_rgb) == "black"
