"""Write docs/modules.md: every module of src/cinescribe, one line each (its docstring's first line).

Run after adding, removing or renaming a module: ``python scripts/module_list.py``
(tests/test_layers.py checks that the list names exactly the modules there are).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "src" / "cinescribe"
OUT = REPO / "docs" / "modules.md"
STAGES = ["media", "features", "models", "data", "train", "describe", "evaluate", "export", "scale"]


def _order(path: Path) -> tuple[int, str]:
    parts = path.relative_to(ROOT).parts
    return (STAGES.index(parts[0]) + 1 if len(parts) > 1 and parts[0] in STAGES else 0, path.as_posix())


def module_lines() -> list[tuple[str, str]]:
    """``(path under src/cinescribe, first docstring line)`` of every module, in path order."""
    rows = []
    for path in sorted(ROOT.rglob("*.py"), key=_order):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        rows.append((path.relative_to(ROOT).as_posix(), doc.strip().splitlines()[0] if doc.strip() else ""))
    return rows


def render() -> str:
    lines = ["# Modules", "",
             "Every module of `src/cinescribe`, one line each (the first line of its docstring): the shared helpers",
             "and entry points, then each stage in the order of DESIGN.md, where a stage imports only the stages",
             "before it (`tests/test_layers.py`).",
             "Written by `python scripts/module_list.py`.", "",
             "| module | job |", "| --- | --- |"]
    lines += [f"| `{name}` | {first.replace('|', '/')} |" for name, first in module_lines()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    from cinescribe.atomic import write_text

    write_text(OUT, render())
    print(f"wrote {OUT} ({len(module_lines())} modules)", file=sys.stderr)
