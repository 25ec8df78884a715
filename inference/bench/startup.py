"""Start-up: from launching the app to its window on screen, and the model's background load.

Each run launches a fresh process (offscreen Qt, a fresh data directory unless one is given)
and waits for the marker lines it prints on stderr:

    ENCLAVE_STARTUP WINDOW_SHOWN <seconds since the process started>
    ENCLAVE_STARTUP MODEL_LOADED <seconds since the process started> <seconds loading>

The time to the window is taken here, from the launch to the line's arrival, so it includes
the interpreter's own start. The raw component is a bare Qt window in a fresh interpreter
(what no Qt app can beat), and the model's load is timed against `llama_cpp.Llama` loading
the same file in this process. The commands come from the caller (the app layer), so this
module stays free of Qt.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from documents.errors import InvalidInputError
from inference.bench.common import BenchReport, median, ratio
from inference.settings import Settings
from inference.workspace import Workspace

MARK = "ENCLAVE_STARTUP"
WINDOW_SHOWN = "WINDOW_SHOWN"
MODEL_LOADED = "MODEL_LOADED"
#: Longest wait for a marker before a run counts as failed.
WAIT_S = 120.0

Progress = Callable[[str], None]


def _launch(command: Sequence[str], env: dict[str, str], want: Sequence[str],
            cwd: Path) -> dict[str, tuple[float, list[str]]]:
    """Start `command`, collect the wanted markers (arrival time, fields), then end it."""
    started = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[tuple[float, str] | None] = queue.Queue()
    tail: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put((time.perf_counter() - started, line))
        lines.put(None)

    reader = threading.Thread(target=read, name="enclave-bench-startup-reader", daemon=True)
    reader.start()
    found: dict[str, tuple[float, list[str]]] = {}
    deadline = time.monotonic() + WAIT_S
    try:
        while set(want) - set(found) and time.monotonic() < deadline:
            try:
                item = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                break
            arrived, line = item
            parts = line.split()
            if len(parts) >= 2 and parts[0] == MARK:
                found.setdefault(parts[1], (arrived, parts[2:]))
            else:
                tail = [*tail, line.rstrip()][-20:]
    finally:
        _stop(process)
        reader.join(timeout=5)
        if process.stderr is not None:
            process.stderr.close()
    missing = set(want) - set(found)
    if missing:
        raise InvalidInputError(f"the app never reported {', '.join(sorted(missing))}; its last "
                         "output:\n  " + "\n  ".join(tail))
    return found


def _stop(process: subprocess.Popen[str]) -> None:
    """Close the app as Ctrl+C does; kill it if it does not go."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_startup(settings: Settings, app_command: Sequence[str], raw_command: Sequence[str],
                cwd: Path, data_dir: Path | None = None, runs: int = 5,
                progress: Progress | None = None) -> BenchReport:
    """Time `app_command` (the GUI with markers) against `raw_command` (a bare window)."""
    say = progress or (lambda _line: None)
    report = BenchReport("startup", runs)
    base = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "ENCLAVE_REPORT_STARTUP": "1"}
    window, loaded_at, load, raw_window, raw_load = [], [], [], [], []
    model_path = Workspace(Path(tempfile.gettempdir()), settings).model_path()
    for number in range(runs):
        with tempfile.TemporaryDirectory(prefix="enclave-bench-startup-") as folder:
            env = {**base, "ENCLAVE_DATA_DIR": str(data_dir or folder)}
            found = _launch(app_command, env, [WINDOW_SHOWN, MODEL_LOADED], cwd)
        window.append(found[WINDOW_SHOWN][0])
        loaded_at.append(found[MODEL_LOADED][0])
        load.append(float(found[MODEL_LOADED][1][1]))
        raw_window.append(_launch(raw_command, base, [WINDOW_SHOWN], cwd)[WINDOW_SHOWN][0])
        raw_load.append(_raw_model_load(model_path, settings))
        say(f"run {number + 1}/{runs}: window {window[-1]:.2f} s, model loaded at "
            f"{loaded_at[-1]:.2f} s (loading {load[-1]:.2f} s)")
    report.figure("window_shown_s", "launch to window shown", "s", window)
    report.figure("model_loaded_s", "launch to model loaded (background)", "s", loaded_at)
    report.figure("model_load_s", "model load in the app", "s", load)
    report.figure("raw_window_shown_s", "raw: bare Qt window in a fresh interpreter", "s",
                  raw_window)
    report.figure("raw_model_load_s", "raw: llama_cpp.Llama load, same file", "s", raw_load)
    report.ratios["window_vs_bare_qt"] = median([ratio(a, b) for a, b in
                                                 zip(window, raw_window, strict=True)])
    report.ratios["model_load_vs_raw"] = median([ratio(a, b) for a, b in
                                                zip(load, raw_load, strict=True)])
    report.target("launch to window shown", median(window), "<= 2 s", median(window) <= 2.0)
    report.target("window shown before the model loaded", median(window),
                  f"< {median(loaded_at):.2f} s", median(window) < median(loaded_at))
    report.details = {"model": str(model_path), "data_dir": str(data_dir or "fresh, empty"),
                      "platform": "QT_QPA_PLATFORM=offscreen"}
    return report


def _raw_model_load(path: Path, settings: Settings) -> float:
    from llama_cpp import Llama

    from inference.engine import ChatModel

    sizing = ChatModel(path, settings.context_tokens, settings.threads or None)
    started = time.perf_counter()
    llama = Llama(model_path=str(path), n_ctx=sizing.context_tokens, n_threads=sizing.threads,
                  n_threads_batch=sizing.batch_threads, verbose=False)
    elapsed = time.perf_counter() - started
    llama.close()
    return elapsed
