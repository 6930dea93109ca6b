"""``cinescribe doctor``: names what is missing and fails only for required parts."""

from __future__ import annotations

import importlib.util

from cinescribe import doctor


def test_checks_cover_tools_and_models():
    names = {name for name, *_ in doctor.run_checks()}
    assert {"ffmpeg", "node", "java", "human-models", "torch", "silero_vad", "pycocoevalcap", "piper"} <= names


def test_missing_module_is_reported_and_optional_ones_are_not_required(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name in ("torch", "ray") else real(name, *a))
    rows = {name: (ok, required, detail) for name, ok, required, detail in doctor.run_checks()}
    assert rows["torch"][:2] == (False, True) and "make setup" in rows["torch"][2]
    assert rows["ray"][:2] == (False, False) and "optional" in rows["ray"][2]
