"""Shared fixtures: small generated media (nothing is committed), made once per session."""

from __future__ import annotations

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


def pytest_configure(config: pytest.Config) -> None:
    import os
    import tempfile

    os.environ["CINESCRIBE_CACHE"] = tempfile.mkdtemp(prefix="cinescribe-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    import os

    shutil.rmtree(os.environ.pop("CINESCRIBE_CACHE", ""), ignore_errors=True)


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
