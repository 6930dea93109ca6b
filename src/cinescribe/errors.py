"""Errors that reach the user as one line and exit code 2.

Every stage raises :class:`InputError` (or a subclass) for problems with what the
user gave: a missing file, a file that is not a video, a malformed subtitle file,
an unwritable output folder.  The CLI prints ``error: <message>`` and exits with 2;
nothing else in the program prints tracebacks for bad input.
"""

from __future__ import annotations

EXIT_BAD_INPUT = 2


class CinescribeError(Exception):
    """Base class of all errors cinescribe reports to the user."""

    exit_code = 1


class InputError(CinescribeError):
    """The user's input is wrong; the message says what and what to do."""

    exit_code = EXIT_BAD_INPUT


class MissingDependencyError(CinescribeError):
    """A local tool or model is not installed; the message names what to install."""

    exit_code = EXIT_BAD_INPUT


class WriteError(InputError):
    """A file could not be written (disk full, read-only, no permission); the message names it."""

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


def show_number(value: float) -> str:
    """``value`` as a person reads it in a message: at most three decimals, no float noise
    (``16.869999999999997`` -> ``16.87``, ``5.0`` -> ``5``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return repr(value)
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    return f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
