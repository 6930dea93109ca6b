"""Where the PyTorch models run: the user's choice (``auto``, ``cpu`` or ``cuda``) made concrete.

``auto`` is a CUDA GPU when PyTorch sees one, else the CPU; ``cuda`` on a machine without one is
an :class:`~cinescribe.errors.InputError` (one line, exit code 2).  The models that take a device
move their inputs to it and bring their outputs back to the CPU as NumPy arrays, so callers never
see a GPU tensor.
"""

from __future__ import annotations

from .errors import InputError

DEVICES = ("auto", "cpu", "cuda")


def check_device_name(name: str) -> str:
    """``name`` if it is one of :data:`DEVICES`; else an InputError naming the flag."""
    if name not in DEVICES:
        raise InputError(f"unknown --device {name!r}; choose one of: {', '.join(DEVICES)}")
    return name


def resolve_device(name: str) -> str:
    """The torch device a model runs on, ``"cpu"`` or ``"cuda"``, for the choice ``name``."""
    import torch

    check_device_name(name)
    if name == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if name == "auto":
        return "cpu"
    raise InputError("--device cuda: PyTorch sees no CUDA GPU here; use --device auto or cpu, "
                     "or install a CUDA build of torch on a machine with an NVIDIA GPU")
