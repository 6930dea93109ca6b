"""``cinescribe batch`` on the local process pool: inputs, skips, retries, broken videos, kill and resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cinescribe.describe.pipeline import DescribeConfig
from conftest import describe_files
from cinescribe.errors import InputError, MissingDependencyError
from cinescribe.export.pipeline import export_script
from cinescribe.features.encoders import load_encoder
from cinescribe.features.store import FeatureStore
from cinescribe.scale.backends import make_backend
from cinescribe.scale.batch import BatchOptions, run_batch
from cinescribe.scale.command import batch_command
from cinescribe.scale.inputs import find_videos, input_base, plan_outputs
from cinescribe.scale.markers import STATE_DIR
from cinescribe.scale.stages import DESCRIBE, Stage, export_stage, extract_stage
from cinescribe.scale.worker import BatchSettings

PIXELS = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, setting=False)
PIXELS_FLAGS = ["--no-objects", "--no-faces", "--no-poses", "--no-ocr", "--no-setting"]
POOL = BatchOptions(backend="processes", workers=2)


@pytest.fixture(scope="session")
def clips(tmp_media):
    """Three short, different videos (one with speech)."""
    return [
        tmp_media("batch_a.mp4", shots=[("astronaut", 1.5), ("coffee", 1.5)], speech=[(0.3, "Hello there.")]).path,
        tmp_media("batch_b.mp4", shots=[("chelsea", 2.0), ("red", 1.0)], audio=False).path,
        tmp_media("batch_c.mp4", shots=[("camera", 1.5), ("rocket", 1.5)], audio=False).path,
    ]


def make_library(root: Path, clips: list[Path], *, broken: bool = True) -> Path:
    lib = root / "lib"
    (lib / "sub").mkdir(parents=True)
    shutil.copy(clips[0], lib / "a.mp4")
    shutil.copy(clips[1], lib / "sub" / "b.mp4")
    if broken:
        (lib / "notes.mp4").write_text("these are my notes, not a film\n" * 50)
        data = Path(clips[2]).read_bytes()
        (lib / "truncated.mp4").write_bytes(data[: len(data) // 50])
    (lib / "readme.txt").write_text("not a video extension: ignored")
    return lib


def without_timings(path: Path) -> dict:
    doc = json.loads(path.read_text())
    doc.pop("timings_s")
    return doc


def assert_same_as_describe(video: Path, batch_dir: Path, tmp_path: Path) -> None:
    """The batch's folder holds exactly what single-video describe writes (timings aside)."""
    single = tmp_path / f"single-{video.stem}"
    describe_files(video, single, cfg=PIXELS)
    assert sorted(p.name for p in batch_dir.iterdir()) == sorted(p.name for p in single.iterdir())
    for f in single.iterdir():
        if f.suffix == ".json":
            assert without_timings(batch_dir / f.name) == without_timings(f)
        else:
            assert (batch_dir / f.name).read_bytes() == f.read_bytes()


def rows_by_name(report) -> dict:
    return {Path(r.video).name: r for r in report.rows}


def test_find_videos_folder_and_list(tmp_path):
    (tmp_path / "lib" / "deep").mkdir(parents=True)
    for name in ["b.mp4", "deep/a.MKV", "notes.txt", "deep/c.mov"]:
        (tmp_path / "lib" / name).write_bytes(b"x")
    found = find_videos(tmp_path / "lib")
    assert [p.relative_to((tmp_path / "lib").resolve()).as_posix() for p in found] == ["b.mp4", "deep/a.MKV",
                                                                                       "deep/c.mov"]
    listing = tmp_path / "films.txt"
    listing.write_text("# my films\n\nlib/b.mp4\n  lib/deep/a.MKV  \nlib/b.mp4\n")
    assert find_videos(listing) == [(tmp_path / "lib/b.mp4").resolve(), (tmp_path / "lib/deep/a.MKV").resolve()]
    assert input_base(listing, find_videos(listing)) == (tmp_path / "lib").resolve()
    items = plan_outputs(find_videos(tmp_path / "lib") + [(tmp_path / "lib" / "b.mkv").resolve()], tmp_path / "out",
                         input_base(tmp_path / "lib", []))
    names = [i.outdir.relative_to((tmp_path / "out").resolve()).as_posix() for i in items]
    assert names == ["b.mp4", "deep/a", "deep/c", "b.mkv"]


@pytest.mark.parametrize("case", ["missing", "empty-list", "empty-folder", "binary-list"])
def test_bad_batch_input_is_an_input_error(tmp_path, case):
    source = tmp_path / "src"
    if case == "empty-list":
        source.write_text("# nothing yet\n\n")
    elif case == "empty-folder":
        source.mkdir()
        (source / "a.txt").write_text("x")
    elif case == "binary-list":
        source.write_bytes(b"\xff\xfe\x00\x81" * 10)
    with pytest.raises(InputError):
        run_batch(source, tmp_path / "out", cfg=PIXELS, options=POOL, show_progress=False)
    assert not (tmp_path / "out" / "batch-report.json").exists()


def test_backend_choice_without_ray(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)
    settings = BatchSettings("/nonexistent", PIXELS, ("json",), (DESCRIBE,))
    common = {"workers": 1, "jobs": 1, "cpus": 1.0, "gpus": 0.0}
    with pytest.raises(MissingDependencyError, match=r"pip install 'cinescribe\[ray\]'"):
        make_backend("auto", settings, address="auto", **common)  # a cluster was asked for: no silent fallback
    with pytest.raises(MissingDependencyError):
        make_backend("ray", settings, address=None, **common)
    with pytest.raises(InputError, match="--ray-address"):
        make_backend("processes", settings, address="10.0.0.1:6379", **common)
    with pytest.raises(InputError, match="--max-attempts"):
        BatchOptions(max_attempts=0).validate()


@pytest.mark.slow
def test_batch_mixed_library_then_resume_then_new_config(tmp_path, clips, monkeypatch):
    lib = make_library(tmp_path, clips)
    shutil.copy(clips[0], lib / "renamed-copy-of-a.mp4")
    out = tmp_path / "out"
    monkeypatch.setitem(sys.modules, "ray", None)  # as if Ray were not installed: the local pool takes over
    report = run_batch(lib, out, cfg=PIXELS, options=BatchOptions(workers=2), show_progress=False)
    assert report.info["backend"] == "processes"
    rows = rows_by_name(report)
    assert {n: r.status for n, r in rows.items()} == {
        "a.mp4": "done", "b.mp4": "done", "notes.mp4": "failed", "truncated.mp4": "failed",
        "renamed-copy-of-a.mp4": "skipped"}
    assert "not a readable media file" in rows["notes.mp4"].error
    assert "truncated.mp4: " in rows["truncated.mp4"].error
    for name in ("notes.mp4", "truncated.mp4"):
        assert rows[name].attempts == 1 and "\n" not in rows[name].error  # bad input is not retried
        assert not Path(rows[name].outdir).exists()
    assert rows["renamed-copy-of-a.mp4"].outdir == rows["a.mp4"].outdir
    assert_same_as_describe(lib / "a.mp4", out / "a", tmp_path)
    assert_same_as_describe(lib / "sub" / "b.mp4", out / "sub" / "b", tmp_path)
    saved = json.loads((out / "batch-report.json").read_text())
    assert saved["counts"] == {"done": 2, "skipped": 1, "failed": 2, "running": 0, "pending": 0}
    assert saved["video_minutes_done"] == pytest.approx(6.0 / 60, abs=0.01)
    markers = sorted((out / STATE_DIR / "done").iterdir())
    assert len(markers) == 2
    mtimes = [m.stat().st_mtime_ns for m in markers]

    again = run_batch(lib, out, cfg=PIXELS, options=POOL, show_progress=False)
    statuses = {n: r.status for n, r in rows_by_name(again).items()}
    assert statuses["a.mp4"] == statuses["b.mp4"] == statuses["renamed-copy-of-a.mp4"] == "skipped"
    assert rows_by_name(again)["a.mp4"].attempts == 0
    assert [m.stat().st_mtime_ns for m in markers] == mtimes

    changed = DescribeConfig(objects=False, faces=False, poses=False, ocr=False, keyframes=2)
    stages = [extract_stage("pixels", fps=2.0, max_side=64), DESCRIBE, export_stage("ttml")]
    redo = run_batch(lib, out, cfg=changed, stages=stages, options=POOL,
                     show_progress=False)  # a changed configuration (and new stages) redoes the videos
    rows = rows_by_name(redo)
    assert rows["a.mp4"].status == rows["b.mp4"].status == "done"
    assert list(rows["b.mp4"].stage_seconds) == ["extract", "describe", "export"]
    entry = FeatureStore().lookup(lib / "sub" / "b.mp4", load_encoder("pixels"), fps=2.0, max_side=64)
    assert entry is not None and entry.features().shape[0] == 6  # 3 s at 2 frames per second
    assert json.loads((out / "sub" / "b" / "b.ad.json").read_text())["config"]["keyframes"] == 2
    exported = export_script(out / "sub" / "b" / "b.ad.json", video=lib / "sub" / "b.mp4", outdir=tmp_path / "exp",
                             formats=("ttml",))
    assert (out / "sub" / "b" / "b.ad.ttml").read_bytes() == exported["ttml"].read_bytes()
    assert len(list((out / STATE_DIR / "done").iterdir())) == 4


def unreliable(job, ctx):
    """A stage that fails by the video's name: crash/flaky fail once, broken always."""
    name = Path(job.video).stem
    tried = Path(job.outdir).parent / f".tried-{name}"
    first = not tried.exists()
    tried.touch()
    if name == "crash" and first:
        os._exit(3)
    if name == "flaky" and first:
        raise RuntimeError("a transient problem\nwith a second line")
    if name == "broken":
        raise RuntimeError("always broken")
    return DESCRIBE.run(job, ctx)


@pytest.mark.slow
def test_retries_worker_deaths_and_permanent_failures(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, clip in (("crash", clips[1]), ("flaky", clips[2]), ("broken", clips[0])):
        shutil.copy(clip, lib / f"{name}.mp4")
    report = run_batch(lib, tmp_path / "out", cfg=PIXELS, stages=[Stage("unreliable", unreliable)],
                       options=BatchOptions(backend="processes", workers=2, max_attempts=2), show_progress=False)
    rows = rows_by_name(report)
    assert (rows["crash.mp4"].status, rows["crash.mp4"].attempts) == ("done", 2)
    assert (rows["flaky.mp4"].status, rows["flaky.mp4"].attempts) == ("done", 2)
    assert (rows["broken.mp4"].status, rows["broken.mp4"].attempts) == ("failed", 2)
    assert rows["broken.mp4"].error == "RuntimeError: always broken"
    assert set(rows["flaky.mp4"].stage_seconds) == {"unreliable"}
    assert (tmp_path / "out" / "crash" / "crash.ad.json").is_file()


def dies_while_reporting(job, ctx):
    """``crash`` floods its worker's result channel with stage events from a thread and dies
    in the middle of it; other videos take a moment and write nothing."""
    import threading

    if Path(job.video).stem == "crash":
        def flood():
            while True:
                ctx._events.put_nowait((job.index, "x" * 4096))

        threading.Thread(target=flood, daemon=True).start()
        time.sleep(0.2)
        os._exit(3)
    time.sleep(0.5)
    return {}


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_a_worker_killed_mid_write_does_not_stall_the_others(tmp_path, clips):
    lib = tmp_path / "lib"
    lib.mkdir()
    for name, clip in (("crash", clips[0]), ("b", clips[1]), ("c", clips[2]), ("d", clips[0])):
        shutil.copy(clip, lib / f"{name}.mp4")
    report = run_batch(lib, tmp_path / "out", cfg=PIXELS, stages=[Stage("report", dies_while_reporting)],
                       options=BatchOptions(backend="processes", workers=2, max_attempts=1), show_progress=False)
    rows = rows_by_name(report)
    assert {n: r.status for n, r in rows.items()} == {"crash.mp4": "failed", "b.mp4": "done", "c.mp4": "done",
                                                       "d.mp4": "done"}
    assert "the worker died" in rows["crash.mp4"].error


def cli(*args, **kw) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "cinescribe", "batch", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kw)


def test_bad_batch_options_fail_before_any_output(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "x.mp4").write_bytes(b"x")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    out = tmp_path / "o"
    for kwargs, needle in [({"out": blocker / "o"}, "output folder"),
                           ({"options": BatchOptions(workers=0)}, "--workers"),
                           ({"export_formats": "docx"}, "unknown export format"),
                           ({"formats": ("vtt", "wav")}, "made by `cinescribe export`"),
                           ({"export_formats": "wav", "voice": "nope"}, "--voice"),
                           ({"extract": True, "encoder": "nope"}, "unknown encoder"),
                           ({"extract": True, "extract_fps": 0.0}, "--extract-fps")]:
        args = {"out": out, "cfg": PIXELS, "formats": ("json", "vtt", "srt"), "options": POOL, "quiet": True, **kwargs}
        with pytest.raises(InputError, match=needle):
            batch_command(folder, **args)
        assert not out.exists()


def test_cli_exit_code_2_for_bad_batch_input(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "x.mp4").write_bytes(b"x")
    for args, needle in [((tmp_path / "nope", "-o", tmp_path / "o"), "no such folder"),
                         ((folder, "-o", tmp_path / "o", "--ray-address", "127.0.0.1:1"), "cannot reach the Ray")]:
        proc = cli(*args)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and needle in errors[0], proc.stderr
        assert not (tmp_path / "o").exists()


def test_cli_backend_ray_without_ray_is_one_line_exit_2(tmp_path):
    folder = tmp_path / "lib"
    folder.mkdir()
    (folder / "x.mp4").write_bytes(b"x")
    hide_ray = "import sys; sys.modules['ray'] = None; from cinescribe.cli import main; main()"
    proc = subprocess.run([sys.executable, "-c", hide_ray, "batch", str(folder), "-o", str(tmp_path / "o"),
                           "--backend", "ray"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Ray is not installed; pip install 'cinescribe[ray]'" in errors[0], proc.stderr


@pytest.mark.slow
def test_kill_and_resume(tmp_path, clips):
    lib = make_library(tmp_path, clips, broken=False)
    shutil.copy(clips[2], lib / "c.mp4")
    (lib / "notes.mp4").write_text("not a film")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "cinescribe", "batch", lib, "-o", out, "--backend", "processes", "--workers", "1",
            "-q", *PIXELS_FLAGS]
    proc = subprocess.Popen(list(map(str, args)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done_dir = out / STATE_DIR / "done"
    deadline = time.monotonic() + 120
    while not (done_dir.is_dir() and any(done_dir.iterdir())):
        assert proc.poll() is None and time.monotonic() < deadline, "the batch ended before any video was done"
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = {m.name: m.stat().st_mtime_ns for m in done_dir.iterdir()}
    killed = json.loads((out / "batch-report.json").read_text())
    assert killed["counts"]["done"] <= len(first) < 3  # the marker is written before the report hears of it

    resumed = cli(lib, "-o", out, "--backend", "processes", "--workers", "1", *PIXELS_FLAGS)
    assert resumed.returncode == 1, resumed.stderr  # notes.mp4 failed: scripts notice
    assert "notes.mp4" in resumed.stderr and "Traceback" not in resumed.stderr
    report = json.loads((out / "batch-report.json").read_text())
    assert report["counts"] == {"done": 3 - len(first), "skipped": len(first), "failed": 1, "running": 0,
                                "pending": 0}
    assert any(line.startswith("│ notes.mp4 ") and "failed" in line
               for line in (out / "batch-report.txt").read_text().splitlines())
    assert {m.name: m.stat().st_mtime_ns for m in done_dir.iterdir() if m.name in first} == first
    assert len(list(done_dir.iterdir())) == 3
    for folder in (out / "a", out / "sub" / "b", out / "c"):
        names = sorted(p.name for p in folder.iterdir())
        spoken = [f"{folder.name}.subtitles.srt"] if folder.name == "a" else []  # only a.mp4 has speech
        assert names == sorted([f"{folder.name}.ad.{e}" for e in ("json", "srt", "vtt")] + spoken)
