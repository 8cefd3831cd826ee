"""The layers stay apart and every module stays readable: the contracts run with the tests."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
MAX_MODULE_LINES = 400


def test_the_import_contracts_of_pyproject_hold() -> None:
    """bot.core imports no shell code or library; the layers import downward only."""
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", sorted(BOT.rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_MODULE_LINES


def test_every_module_says_what_it_is() -> None:
    """A one-line docstring atop each module (STYLE.md), the empty package markers excepted."""
    missing = [
        str(path.relative_to(ROOT))
        for path in sorted(BOT.rglob("*.py"))
        if path.read_text(encoding="utf-8").strip()
        and ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) is None
        and "migrations/versions" not in str(path)
    ]
    assert missing == []


def test_the_core_says_it_is_pure() -> None:
    """Each module of bot.core states in its docstring that it does no I/O."""
    silent = [
        str(path.relative_to(ROOT))
        for path in sorted((BOT / "core").rglob("*.py"))
        if path.name != "__init__.py"
        and "no i/o"
        not in (ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or "").lower()
    ]
    assert silent == []
