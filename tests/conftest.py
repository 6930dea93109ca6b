"""Shared fixtures: small generated media (nothing is committed), made once per session.

Two test selections: the default run leaves out the tests marked ``slow`` (the demo command,
every test that runs ``describe`` end to end with its pretrained models, Ray), so that
``make test`` stays within a few minutes; with ``CI=true`` (or ``--slow``) every test runs.
In CI a missing tool or data folder fails the run: the tools ``make setup`` installs and the
shared data are checked before any test starts, and a test that skips fails instead, unless it
is marked ``may_skip`` (it depends on something ``make setup`` does not install).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Callable

import pytest

from cinescribe.cache import cache_root
from cinescribe.demo import DemoInfo, ShotSpec, make_demo_video, make_test_video

# Prepared pretrained models (the Gemma folder) are read from the user's cache; everything a run
# caches (features, per-frame perception results) goes to a fresh folder, so that every test
# really runs the models instead of reading an earlier run's results.
USER_CACHE = cache_root()
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# what CI must have: `make setup` installs the tools, the shared data sits beside the repository
CI_TOOLS = ("ffmpeg", "ffprobe", "espeak-ng", "java", "node")
CI_FOLDERS = (SHARED_DATA / "clips", SHARED_DATA / "ad-annotations")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", help="also run the tests marked slow (as CI=true does)")


def ci_missing() -> list[str]:
    """What CI needs but this machine lacks: tools, Chromium, the node models, the shared data folders."""
    from cinescribe.features.analysers.human import find_node_dir

    missing = [tool for tool in CI_TOOLS if shutil.which(tool) is None]
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        missing.append("chromium")
    if not (find_node_dir() / "node_modules" / "@vladmandic" / "human-models").is_dir():
        missing.append(f"{find_node_dir() / 'node_modules'} (npm ci)")
    return missing + [str(folder) for folder in CI_FOLDERS if not folder.is_dir()]


def pytest_configure(config: pytest.Config) -> None:
    import tempfile

    if CI and (missing := ci_missing()):
        raise pytest.UsageError(f"CI=true but missing: {', '.join(missing)}; run `make setup` and put the "
                                f"shared data in {SHARED_DATA}")
    os.environ["CINESCRIBE_CACHE"] = tempfile.mkdtemp(prefix="cinescribe-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.pop("CINESCRIBE_CACHE", ""), ignore_errors=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out the slow tests unless CI=true, --slow or a -m expression asks for a selection."""
    if CI or config.getoption("--slow") or config.getoption("markexpr"):
        return
    slow = [item for item in items if item.get_closest_marker("slow")]
    if slow:
        items[:] = [item for item in items if not item.get_closest_marker("slow")]
        config.hook.pytest_deselected(items=slow)


def pytest_report_header(config: pytest.Config) -> str:
    if CI or config.getoption("--slow") or config.getoption("markexpr"):
        return "all tests selected" + (" (CI=true: a skipped test fails)" if CI else "")
    return "tests marked slow are left out (make test-all, CI=true or --slow runs them)"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """In CI a skip is a failure (a tool or data folder is missing), unless the test is marked ``may_skip``."""
    outcome = yield
    report = outcome.get_result()
    if CI and report.skipped and not hasattr(report, "wasxfail") and not item.get_closest_marker("may_skip"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where nothing may be missing: {reason}"


needs_tools = pytest.mark.skipif(
    shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None,
    reason="ffmpeg and espeak-ng are needed to generate test media",
)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def tmp_media(media_dir: Path) -> Callable[..., DemoInfo]:
    """Factory: ``tmp_media("name.mp4", **make_test_video_kwargs)``, cached by name."""
    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        pytest.skip("ffmpeg and espeak-ng are needed to generate test media")
    cache: dict[str, DemoInfo] = {}

    def make(name: str, **kwargs) -> DemoInfo:
        if name not in cache:
            cache[name] = make_test_video(media_dir / name, **kwargs)
        return cache[name]

    return make


SPEECH = [(0.5, "Hello, can you hear me?"), (4.2, "Yes, loud and clear."), (7.6, "Good.")]
SHOTS = [("astronaut", 3.0), ("coffee", 2.5), ("astronaut", 2.0), ("chelsea", 2.5)]


@pytest.fixture(scope="session")
def speech_video(tmp_media) -> DemoInfo:
    """10 s, 320x180, 4 shots (A/B/A/C) with cuts at 3.0, 5.5, 7.5 and three speech lines."""
    return tmp_media("speech.mp4", speech=SPEECH, shots=SHOTS)


@pytest.fixture(scope="session")
def fade_video(tmp_media) -> DemoInfo:
    """Cat zooming, fade out to black, black, fade back in to the cat, fade out at the end."""
    shots = [
        ShotSpec("chelsea", 3.0, "zoom", fade_out=1.5),
        ShotSpec("black", 1.0),
        ShotSpec("chelsea", 3.0, "pan", fade_in=1.5, fade_out=1.5),
    ]
    return tmp_media("fade.mp4", shots=shots, audio=False)


@pytest.fixture(scope="session")
def silent_video(tmp_media) -> DemoInfo:
    return tmp_media("silent.mp4", shots=[("red", 1.0), ("blue", 1.0)], audio=False)


@pytest.fixture(scope="session")
def audio_only(tmp_media) -> DemoInfo:
    return tmp_media("audio.m4a", speech=[(0.4, "Audio only.")], video=False, duration=2.0)


@pytest.fixture(scope="session")
def rotated_video(speech_video: DemoInfo, media_dir: Path) -> Path:
    """``speech_video`` tagged to display rotated 90 degrees (stream copy)."""
    out = media_dir / "rotated.mp4"
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(speech_video.path), "-c", "copy",
                    "-metadata:s:v:0", "rotate=90", str(out)], check=True)
    return out


@pytest.fixture(scope="session")
def demo(media_dir: Path) -> DemoInfo:
    """THE demo video (about 49 s, ~7 s to generate)."""
    if shutil.which("ffmpeg") is None or shutil.which("espeak-ng") is None:
        pytest.skip("ffmpeg and espeak-ng are needed to generate the demo")
    return make_demo_video(media_dir / "demo.mp4")


def describe_files(video, outdir, *, formats=None, **kwargs):
    """What the ``describe`` command does: the AD-script JSON (describe), then the files that need no
    voice (export); returns the script and format -> path."""
    from cinescribe.describe.folder import describe_to_folder
    from cinescribe.export.formats import DESCRIBE_DEFAULT
    from cinescribe.export.writeout import write_outputs

    script, path = describe_to_folder(video, outdir, **kwargs)
    return script, {"json": path, **write_outputs(script, Path(outdir), Path(video).stem, formats or DESCRIBE_DEFAULT)}
