"""Config dataclasses <-> plain dicts, with validation and dotted overrides.

Every model has a ``@dataclass`` config next to it (HuggingFace style).  Configs nest
(``ADModelConfig.ema`` is a ``ContextualEMAConfig``); :func:`config_from_dict` rebuilds the
nesting from JSON and rejects unknown keys with a one-line :class:`InputError`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping, TypeVar

from ..errors import InputError

C = TypeVar("C")


def config_to_dict(config: Any) -> dict[str, Any]:
    """A JSON-ready dict of a (nested) config dataclass."""
    return dataclasses.asdict(config)


def config_from_dict(cls: type[C], data: Mapping[str, Any], where: str = "config") -> C:
    """Build ``cls`` from ``data``; nested dataclass fields are built recursively."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where} must be a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(names))}")
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        hint = hints[key]
        if dataclasses.is_dataclass(hint) and isinstance(value, Mapping):
            value = config_from_dict(hint, value, f"{where}.{key}")
        else:
            value = _checked(value, hint, f"{where}.{key}")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise InputError(f"{where}: {exc}") from None


def apply_overrides(config: C, overrides: Mapping[str, Any]) -> C:
    """Return a copy of ``config`` with dotted keys replaced, e.g. ``{"ema.alpha": 0.0}``."""
    for dotted, value in overrides.items():
        config = _replace(config, dotted.split("."), value, dotted)
    return config


def _replace(config: Any, path: list[str], value: Any, dotted: str) -> Any:
    names = {f.name for f in dataclasses.fields(config)}
    head = path[0]
    if head not in names:
        raise InputError(f"unknown config key '{dotted}'; valid keys here: {', '.join(sorted(names))}")
    if len(path) > 1:
        inner = getattr(config, head)
        if not dataclasses.is_dataclass(inner):
            raise InputError(f"config key '{dotted}': '{head}' has no sub-keys")
        value = _replace(inner, path[1:], value, dotted)
    elif dataclasses.is_dataclass(getattr(config, head)) and isinstance(value, Mapping):
        value = config_from_dict(type(getattr(config, head)), value, dotted)
    else:
        value = _checked(value, typing.get_type_hints(type(config))[head], dotted)
    try:
        return dataclasses.replace(config, **{head: value})
    except (TypeError, ValueError) as exc:
        raise InputError(f"config key '{dotted}': {exc}") from None


def _checked(value: Any, hint: Any, where: str) -> Any:
    """``value`` as the simple type ``hint`` names (int, float, bool, str, tuple, optional)."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        hint = next(o for o in options if o is not type(None))
    if hint is bool and not isinstance(value, bool):
        raise InputError(f"{where} must be true or false, got {value!r}")
    if hint is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError(f"{where} must be an integer, got {value!r}")
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"{where} must be a number, got {value!r}")
        return float(value)
    if hint is str and not isinstance(value, str):
        raise InputError(f"{where} must be a string, got {value!r}")
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, (list, tuple)):
            raise InputError(f"{where} must be a list, got {value!r}")
        return tuple(value)
    return value
