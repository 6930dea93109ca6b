"""``cinescribe batch`` on a local Ray instance (the default backend with the `ray` extra): two tiny videos and a broken file.

One video's first attempt kills its Ray actor: the batch replaces the actor, retries that
video and goes on; the outputs equal single-video ``describe``; Ray's logs stay off stderr.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

ray = pytest.importorskip("ray")

from cinescribe.describe.pipeline import DescribeConfig  # noqa: E402
from conftest import describe_files  # noqa: E402
from cinescribe.scale.batch import BatchOptions, run_batch  # noqa: E402
from cinescribe.scale.stages import DESCRIBE, Stage  # noqa: E402

# no speech recognition: its word probabilities are not bit-identical between a Ray actor and this process
PIXELS = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False, asr="")


def dies_once(job, ctx):
    """``describe``, except that the first attempt at ``b.mp4`` kills the worker process."""
    tried = Path(job.outdir).parent / ".tried-b"
    if Path(job.video).name == "b.mp4" and not tried.exists():
        tried.touch()
        os._exit(3)
    return DESCRIBE.run(job, ctx)


@pytest.mark.slow
def test_ray_batch_survives_a_dead_actor_and_matches_describe(tmp_path, tmp_media, capfd):
    lib = tmp_path / "lib"
    lib.mkdir()
    shutil.copy(tmp_media("batch_a.mp4", shots=[("astronaut", 1.5), ("coffee", 1.5)],
                          speech=[(0.3, "Hello there.")]).path, lib / "a.mp4")
    shutil.copy(tmp_media("batch_b.mp4", shots=[("chelsea", 2.0), ("red", 1.0)], audio=False).path, lib / "b.mp4")
    (lib / "notes.mp4").write_text("not a film\n" * 20)
    out = tmp_path / "out"
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the actors cannot import this test module
    capfd.readouterr()
    report = run_batch(lib, out, cfg=PIXELS, stages=[Stage("describe", dies_once)],
                       options=BatchOptions(workers=2), show_progress=False)
    assert capfd.readouterr().err == ""  # Ray's own logs stay out of the terminal
    assert report.info["backend"] == "ray" and report.info["workers"] == 2
    rows = {Path(r.video).name: (r.status, r.attempts) for r in report.rows}
    assert rows == {"a.mp4": ("done", 1), "b.mp4": ("done", 2), "notes.mp4": ("failed", 1)}
    for name in ("a", "b"):
        single = tmp_path / f"single-{name}"
        describe_files(lib / f"{name}.mp4", single, cfg=PIXELS)
        assert sorted(p.name for p in (out / name).iterdir()) == sorted(p.name for p in single.iterdir())
        for f in single.iterdir():
            if f.suffix == ".json":
                ours, theirs = json.loads((out / name / f.name).read_text()), json.loads(f.read_text())
                ours.pop("timings_s"), theirs.pop("timings_s")
                assert ours == theirs
            else:
                assert (out / name / f.name).read_bytes() == f.read_bytes()
