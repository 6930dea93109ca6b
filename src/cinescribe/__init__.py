"""cinescribe: audio description for films, TV and long videos."""

__version__ = "0.1.0"
