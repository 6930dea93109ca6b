"""Where the PyTorch models run: ``auto``, ``cpu`` or ``cuda``, and the one-line error for a missing GPU."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

from cinescribe.describe.options import DescribeOptions
from cinescribe.errors import InputError
from cinescribe.torch_device import resolve_device

HAS_CUDA = torch.cuda.is_available()


def test_auto_is_the_gpu_when_there_is_one_else_the_cpu():
    assert resolve_device("auto") == ("cuda" if HAS_CUDA else "cpu")
    assert resolve_device("cpu") == "cpu"


def test_an_unknown_name_is_refused():
    with pytest.raises(InputError, match="unknown --device 'gpu'; choose one of: auto, cpu, cuda"):
        resolve_device("gpu")
    with pytest.raises(InputError, match="--device"):
        DescribeOptions(device="tpu").config()


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_an_input_error():
    with pytest.raises(InputError, match="--device cuda: PyTorch sees no CUDA GPU") as err:
        resolve_device("cuda")
    assert "\n" not in str(err.value) and err.value.exit_code == 2
    assert DescribeOptions(device="cpu").config().device == "cpu"
    with pytest.raises(InputError, match="--device cuda"):
        DescribeOptions(device="cuda").config()


@pytest.mark.skipif(HAS_CUDA, reason="this machine has a CUDA GPU")
def test_cli_cuda_without_a_gpu_exits_2_in_one_line(tmp_path):
    video = tmp_path / "film.mp4"
    video.write_bytes(b"")  # never opened: the options are checked first
    proc = subprocess.run([sys.executable, "-m", "cinescribe", "describe", str(video), "-o", str(tmp_path / "out"),
                           "--device", "cuda", "-q"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: --device cuda: PyTorch sees no CUDA GPU"), lines
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_describe_help_offers_the_device():
    proc = subprocess.run([sys.executable, "-m", "cinescribe", "describe", "--help"], capture_output=True, text=True,
                          timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert proc.returncode == 0
    assert "--device" in proc.stdout and "a CUDA GPU when there is one" in proc.stdout


@pytest.mark.may_skip
@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
def test_on_the_gpu_the_models_agree_with_the_cpu():
    """TransNetV2's streamed probabilities and MobileNetV2's probabilities on ``cuda`` are the CPU's within the
    rounding of the GPU's convolutions (cuDNN may use TF32); the outputs come back as CPU values."""
    import numpy as np

    from cinescribe.demo import sample_photo
    from cinescribe.features.imagenet import ImageNetClassifier
    from cinescribe.media.transnet import TransNetScorer, load_transnet

    frames = np.random.default_rng(0).integers(0, 256, (130, 27, 48, 3), dtype=np.uint8)
    scores = {}
    for device in ("cpu", "cuda"):
        scorer = TransNetScorer(load_transnet(device=device), device)
        scores[device] = np.array([s for f in frames for s in scorer.push(f)] + scorer.finish())
    assert scores["cuda"].shape == (130, 2)
    np.testing.assert_allclose(scores["cuda"], scores["cpu"], atol=2e-3)
    pictures = [sample_photo(name) for name in ("chelsea", "coffee", "camera")]
    cpu, gpu = ImageNetClassifier(device="cpu").run(pictures), ImageNetClassifier(device="cuda").run(pictures)
    assert isinstance(gpu[0], np.ndarray) and gpu[0].shape == (3, 1000) and gpu[1].shape == (3, 1280)
    np.testing.assert_allclose(gpu[0], cpu[0], atol=5e-3)
    assert (gpu[0].argmax(axis=1) == cpu[0].argmax(axis=1)).all()
