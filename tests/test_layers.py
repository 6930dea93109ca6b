"""DESIGN.md's rule: a pipeline stage imports only the stages before it."""

import ast
from pathlib import Path

import cinescribe

ORDER = ["media", "features", "models", "data", "train", "describe", "evaluate", "export", "scale"]
TOP = {"cli", "demo", "doctor", "__main__", "__init__"}  # entry points may use every stage
ROOT = Path(cinescribe.__file__).parent


def imported_packages(path: Path) -> set[str]:
    """The cinescribe packages (first component under the root) that ``path`` imports."""
    here = list(path.relative_to(ROOT).parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = here[:len(here) - (node.level - 1)] if node.level > 1 else here
            parts = base + [p for p in (node.module or "").split(".") if p]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("cinescribe."):
            parts = node.module.split(".")[1:]
        elif isinstance(node, ast.Import):
            parts = next((a.name.split(".")[1:] for a in node.names if a.name.startswith("cinescribe.")), [])
        else:
            continue
        if parts:
            found.add(parts[0])
    return found


def test_no_stage_imports_a_later_stage():
    wrong = []
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        owner = parts[0] if len(parts) > 1 else parts[0][:-3]
        if owner in TOP:
            continue
        rank = ORDER.index(owner) if owner in ORDER else -1  # shared helpers (errors, atomic, ...) come first
        wrong += [f"{path.relative_to(ROOT)} imports {p}" for p in imported_packages(path)
                  if p in ORDER and ORDER.index(p) > rank]
    assert not wrong, wrong


def test_the_check_sees_imports():
    assert {"features", "media"} <= imported_packages(ROOT / "describe" / "folder.py")
    assert "describe" in imported_packages(ROOT / "export" / "writeout.py")


def test_the_module_list_names_every_module():
    """docs/modules.md (scripts/module_list.py) lists exactly the modules there are."""
    listed = {line.split("`")[1] for line in (ROOT.parents[1] / "docs" / "modules.md").read_text().splitlines()
              if line.startswith("| `")}
    present = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*.py")}
    assert listed == present, f"run python scripts/module_list.py: {sorted(listed ^ present)}"
