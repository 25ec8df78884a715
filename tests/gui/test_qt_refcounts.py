"""Signals carry plain Python objects from the lanes to the GUI thousands of times per batch:
the Qt binding must not leak or drop references doing it.

PySide6 6.12.0 dropped a reference to True on every emit of a `Signal(object)`; indexing a
folder of 1,500 files then aborted the app ("deallocating True or False", or None). The
counts below are exact, so this fails on the first run with such a binding, however fast
the machine.
"""

from __future__ import annotations

import gc
import sys
import threading

import pytest
from PySide6.QtCore import QObject, Signal
from pytestqt.qtbot import QtBot

from documents.library import IngestProgress

pytestmark = pytest.mark.gui

EMITS = 500


class _Emitter(QObject):
    item = Signal(object)
    done = Signal()


def _counts() -> tuple[int, int, int]:
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


def test_emitting_objects_across_threads_keeps_reference_counts(qtbot: QtBot) -> None:
    emitter = _Emitter()
    received: list[object] = []
    emitter.item.connect(lambda item: received.append(item))  # a lambda, as the lanes use

    def work() -> None:
        for number in range(EMITS):
            emitter.item.emit(IngestProgress(number, EMITS, None, 0))
        emitter.done.emit()

    received.append(None)  # the list exists before counting
    # Earlier tests' cyclic garbage holds None, True and False; a collection in the middle
    # of the count freed it (a drift of -333 seen under load), so none runs meanwhile.
    gc.collect()
    gc.disable()
    try:
        before = _counts()
        with qtbot.waitSignal(emitter.done, timeout=30_000):
            thread = threading.Thread(target=work)
            thread.start()
        thread.join()
        qtbot.waitUntil(lambda: len(received) == EMITS + 1, timeout=10_000)
        received.clear()
        after = _counts()
    finally:
        gc.enable()
    drift = [a - b for a, b in zip(after, before, strict=True)]
    assert all(abs(d) < EMITS // 10 for d in drift), f"None/True/False references drifted {drift}"
