"""The core is a plain library: importing all of it must not load Qt."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_core_and_cli_import_no_qt() -> None:
    modules = ["app.cli", "main"] + [
        f"{package}.{info.name}"
        for package in ("documents", "inference")
        for info in pkgutil.walk_packages([str(REPO / package)])
    ]
    script = ("import importlib, sys\n"
              f"for name in {modules!r}: importlib.import_module(name)\n"
              "qt = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
              "print(qt)\nsys.exit(1 if qt else 0)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_linter_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=REPO, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stdout + result.stderr
