"""Picture steps and dips to black (``media/picture_steps.py``), and the combined detector on real footage.

The real-footage tests cut the clips of ``../shared/data/clips`` together with ffmpeg, with a known
answer: a cut to a 2x closer view of the same moment, a jump cut in one static framing where the
subject moved, a fade through black, and the clips as they are (no cut).
"""

import subprocess
from pathlib import Path

import numpy as np
import pytest

from cinescribe.media.framepass import FramePass
from cinescribe.media.jump_cuts import JumpMeter
from cinescribe.media.picture_steps import DarkDips, Dip, StepMeter
from cinescribe.media.shots import CombinedDetector, make_detector

CLIPS = Path(__file__).resolve().parents[2] / "shared" / "data" / "clips"
needs_clips = pytest.mark.skipif(not CLIPS.is_dir(), reason="../shared/data/clips is not there")

RNG = np.random.default_rng(0)
A = RNG.uniform(0.2, 0.8, (54, 96)).astype(np.float32)
HALF = A.copy()
HALF[:27] = 1.0 - HALF[:27]  # the top half changes by at least 0.2 of the level; the bottom half stays


def _steps(pictures, meter=None):
    meter = meter or StepMeter()
    out = []
    for i, picture in enumerate(pictures):
        out += meter.push(i / 25, picture)
    return out + meter.finish(), meter


def test_a_step_is_found_once_with_its_fraction():
    steps, meter = _steps([A] * 20 + [HALF] * 20)
    assert [s.t for s in steps] == [0.8]
    mean_a, mean_h = A.mean(), HALF.mean()  # each frame is divided by its mean level
    changed = np.abs(HALF / mean_h - A / mean_a) > meter.tau
    assert steps[0].fraction == pytest.approx(changed.mean())
    assert 0.4 < steps[0].fraction <= 0.5
    assert len(meter.fractions) == 40 - 2 * meter.k + 1 and max(f for _, f in meter.fractions) == steps[0].fraction


def test_flashes_light_and_motion_are_not_steps():
    flash, _ = _steps([A] * 20 + [HALF] * 3 + [A] * 17)  # a picture for 3 frames, then back
    assert flash == []
    brighter, _ = _steps([A] * 20 + [np.clip(A * 1.3, 0, 1)] * 20)  # the light changes, not the picture
    assert brighter == []
    pan, _ = _steps([np.roll(A, i, axis=1) for i in range(40)])  # textured picture moving a pixel a frame
    assert pan == []
    late, _ = _steps([A] * 37 + [HALF] * 3)  # a cut 3 frames before the end is still judged
    assert [s.t for s in late] == [1.48]


def test_a_dip_to_black_is_one_transition_with_its_envelope():
    levels = [0.5] * 10 + list(np.linspace(0.5, 0.0, 10)) + [0.0] * 5 + list(np.linspace(0.0, 0.6, 10)) + [0.6] * 10
    dips = DarkDips()
    found = [d for i, level in enumerate(levels) for d in dips.push(i / 10, float(level))] + dips.finish()
    # the fade in is judged over two frames (encoders brighten unevenly): it ends one frame late
    assert found == [Dip(t=2.2, dark_start=1.8, dark_end=2.6, start=1.0, end=3.5)]
    assert dips.edges == []
    fade_in = [0.0] * 5 + list(np.linspace(0.1, 0.5, 5)) + [0.5] * 5  # from black at the start
    fade_out = [0.5] * 10 + [0.0] * 5  # to black at the end
    for levels, edge in ((fade_in, (0.0, 1.0)), (fade_out, (0.9, 1.4))):
        dips = DarkDips()
        assert [d for i, lv in enumerate(levels) for d in dips.push(i / 10, lv)] + dips.finish() == []
        assert dips.edges == [pytest.approx(edge)]


def _montage(tmp_path: Path, name: str, parts: list[tuple[str, float, float, str]], joins: list[str]) -> Path:
    """``parts`` = (clip, start, seconds, extra filter) at 25 fps, 320x240, joined by ``joins`` ("cut" or an
    xfade transition of 1 s)."""
    inputs, graph = [], []
    for i, (clip, start, dur, extra) in enumerate(parts):
        inputs += ["-i", str(CLIPS / clip)]
        chain = f"setpts=PTS-STARTPTS,fps=25,trim=start_frame={round(start * 25)}:end_frame={round((start + dur) * 25)}," \
                f"setpts=PTS-STARTPTS{',' + extra if extra else ''},scale=320:240,setsar=1,format=yuv420p"
        graph.append(f"[{i}:v]{chain}[s{i}]")
    acc, length = "s0", parts[0][2]
    for i, join in enumerate(joins, start=1):
        if join == "cut":
            graph.append(f"[{acc}][s{i}]concat=n=2:v=1:a=0[a{i}]")
            length += parts[i][2]
        else:
            graph.append(f"[{acc}][s{i}]xfade=transition={join}:duration=1:offset={length - 1}[a{i}]")
            length += parts[i][2] - 1
        acc = f"a{i}"
    out = tmp_path / name
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", ";".join(graph),
                    "-map", f"[{acc}]", "-an", "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", str(out)],
                   check=True)
    return out


def _cuts(path: Path, name: str = "combined"):
    det = make_detector(name)
    with FramePass(path, [det.tap(25.0)]) as stream:
        for _, frame in stream:
            det.push(frame)
    det.finish()
    return det


@needs_clips
def test_a_cut_to_a_closer_view_of_the_same_moment(tmp_path):
    path = _montage(tmp_path, "closer.mp4", [("cup.mp4", 0.6, 3.0, ""), ("cup.mp4", 3.6, 3.0, "crop=320:240:160:120")],
                    ["cut"])
    det = _cuts(path)
    assert det.cuts() == [pytest.approx(3.0, abs=0.041)]
    assert det.evidence[0]["source"] in ("transnetv2", "picture step")
    assert len(det.shots(6.0)) == 2 and len(det.shot_features()) == 2


@needs_clips
def test_a_jump_cut_in_one_static_framing(tmp_path):
    """box.mp4 from 0 s then from 9 s: the same table and wall, the box held elsewhere."""
    path = _montage(tmp_path, "jump.mp4", [("box.mp4", 0.0, 3.0, ""), ("box.mp4", 9.0, 3.0, "")], ["cut"])
    det = _cuts(path)
    assert det.cuts() == [pytest.approx(3.0, abs=0.041)]


@needs_clips
def test_a_fade_through_black_is_one_transition(tmp_path):
    path = _montage(tmp_path, "fade.mp4", [("box.mp4", 0.0, 4.0, ""), ("cup.mp4", 1.0, 4.0, "")], ["fadeblack"])
    det = _cuts(path)
    assert len(det.cuts()) == 1 and 3.0 <= det.cuts()[0] <= 4.0
    assert det.evidence[0]["source"] == "dip to black" and det.evidence[0]["span"][0] >= 2.9


@needs_clips
@pytest.mark.parametrize("clip", ["cup.mp4", "tree.avi"])
def test_no_cut_on_real_clips(clip):
    assert _cuts(CLIPS / clip).cuts() == []


def test_combined_is_a_shot_choice():
    assert isinstance(make_detector("combined"), CombinedDetector)


def _count_jumps(pictures, meter=None):
    meter = meter or JumpMeter()
    out = []
    for i, picture in enumerate(pictures):
        out += meter.push(i / 10, picture)
    return out + meter.finish(), meter


def _scene(people: list[tuple[int, int]], shift: int = 0) -> np.ndarray:
    """A still textured background with dark 5x10 people at ``(x, y)``; ``shift`` moves the whole picture."""
    picture = np.roll(A, shift, axis=1).copy()
    for x, y in people:
        picture[y:y + 10, x:x + 5] = 0.05
    return picture


def test_jump_regions_separate_appearing_people_from_walkers_and_one_vanishing():
    walkers = [[(10 + i, 5), (40, 30 - i // 2)] for i in range(30)]  # a pixel a frame: explained by its old place
    found, meter = _count_jumps([_scene(p) for p in walkers])
    assert found == [] and max(n for _, n in meter.counts) == 0
    before, after = [(10, 5), (40, 30)], [(70, 8), (25, 40), (85, 38), (55, 20)]
    found, meter = _count_jumps([_scene(before)] * 15 + [_scene(after)] * 15)  # 6 places change, none nearby
    assert [(j.t, j.regions) for j in found] == [(1.5, 6)]
    one, meter = _count_jumps([_scene(before)] * 15 + [_scene(before[:1])] * 15)  # one person vanishes
    assert one == [] and max(n for _, n in meter.counts) == 1
    panned, meter = _count_jumps([_scene(before)] * 15 + [_scene(after, shift=3)] * 15)  # the camera moved too
    assert panned == [] and max(n for _, n in meter.counts) >= 3


@needs_clips
def test_a_jump_cut_between_two_moments_of_the_campus_camera(tmp_path):
    """vtest.avi at 0 s then at 40 s: the same fixed framing, other people on the path."""
    path = _montage(tmp_path, "campus.mp4", [("vtest.avi", 0.0, 3.0, ""), ("vtest.avi", 40.0, 3.0, "")], ["cut"])
    det = _cuts(path)
    assert det.cuts() == [pytest.approx(3.0, abs=0.081)]
    assert det.evidence[0]["source"] in ("jump cut", "transnetv2", "picture step")
    assert max(n for t, n in det.jumps.counts if abs(t - 3.0) <= 0.081) >= 3


@needs_clips
@pytest.mark.parametrize("clip", ["vtest.avi", "box.mp4"])
def test_no_jump_cut_on_real_clips(clip):
    det = _cuts(CLIPS / clip)
    assert det.cuts() == []
    assert max(n for _, n in det.jumps.counts) <= 2
