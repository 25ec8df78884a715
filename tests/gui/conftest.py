"""GUI test fixtures: headless Qt, and windows on throw-away data directories.

The windows use the real default model and embedder (as a user's would); each test gets its
own data directory, and every window is closed (its lanes joined) before the thread-leak
check of tests/conftest.py runs.
"""

from __future__ import annotations

import os

# Before a QApplication exists: no display is needed or used.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.main_window import MainWindow
from app.gui.unlock_dialog import UnlockChoice, unlock_workspace
from inference.workspace import Workspace

XQUAD_DOCUMENTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "docqa-xquad" \
    / "documents"

OpenWindow = Callable[..., MainWindow]

#: The test data directories are encrypted with this (a test machine has no OS keyring).
PASSPHRASE = "correct horse battery staple"


@pytest.fixture()
def open_window(qtbot: QtBot) -> Iterator[OpenWindow]:
    """Opens a window on a new Workspace for a data directory; `start` loads the models.

    At teardown every window is closed and its workspace after it, in that order, as
    `run_gui` does.
    """
    opened: list[MainWindow] = []

    def open_(data_dir: Path, start: bool = True) -> MainWindow:
        workspace = Workspace(data_dir)
        # llama.cpp's threads spin-wait on each other: on this suite's small, shared CI
        # machines one thread answers several times faster than one per core.
        workspace.settings = workspace.settings.with_changes(threads=1)
        assert unlock_workspace(workspace, lambda creating, message: UnlockChoice(PASSPHRASE))
        window = MainWindow(workspace)
        qtbot.addWidget(window)
        window.show()
        if start:
            window.start()
        opened.append(window)
        return window

    yield open_
    for window in opened:
        close_window(window)


def close_window(window: MainWindow) -> None:
    """Close like the user would, then release the workspace (as `run_gui` does)."""
    window.close()
    window.workspace.close()


@pytest.fixture()
def super_bowl(tmp_path: Path) -> Path:
    """A private copy of one XQuAD article."""
    source = XQUAD_DOCUMENTS / "Super_Bowl_50.md"
    if not source.is_file():
        pytest.fail(f"test document missing at {source}")
    target = tmp_path / "docs" / "Super_Bowl_50.md"
    target.parent.mkdir()
    shutil.copy(source, target)
    return target
