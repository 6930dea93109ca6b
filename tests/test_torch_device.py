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
