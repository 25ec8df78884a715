#!/usr/bin/env python3
"""Package the frozen app (dist/Enclave) as a Debian package, then run lintian on it.

    .venv/bin/python packaging/deb.py [--app dist/Enclave] [--out dist] [--no-lintian]

Layout: the frozen folder under /usr/lib/enclave, `/usr/bin/enclave` a link to its
executable, a desktop entry and the icon in hicolor. There are no maintainer scripts: the
package never touches anything under a user's home, so removing or purging it leaves every
user's data directory (documents index, conversations, settings) where it was.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VERSION = "0.1.0"
PACKAGE = "enclave"
#: Libraries Qt's xcb platform plugin loads from the system (as packaging/bootstrap.py lists).
DEPENDS = ["libc6 (>= 2.28)", "libegl1", "libgl1", "libxkbcommon0", "libxkbcommon-x11-0",
           "libfontconfig1", "libdbus-1-3", "libxcb-cursor0", "libxcb-icccm4",
           "libxcb-keysyms1", "libxcb-shape0", "libxcb-render-util0", "libxcb-image0"]


def control(installed_kib: int, architecture: str) -> str:
    return f"""Package: {PACKAGE}
Version: {VERSION}
Architecture: {architecture}
Maintainer: Enclave maintainers <enclave@example.invalid>
Installed-Size: {installed_kib}
Depends: {", ".join(DEPENDS + sorted(SYSTEM_LIBRARIES.values()))}
Section: utils
Priority: optional
Homepage: https://example.invalid/enclave
Description: private question answering over your own documents
 Enclave indexes PDF, text and Markdown files and answers questions about
 them with a small quantized model running locally, citing file and page.
 Nothing leaves the machine: no telemetry, no update check, no download.
 .
 This package carries a self-contained build (Python, Qt, llama.cpp, CPU
 torch, the default chat model and embedder) under /usr/lib/enclave.
"""


def _epoch() -> str:
    """Reproducible file times: the last commit's, else now."""
    found = subprocess.run(["git", "-C", str(ROOT), "log", "-1", "--format=%ct"],
                           capture_output=True, text=True, check=False).stdout.strip()
    return found or str(int(time.time()))


#: Libraries the freezer picked up that every Debian system has (Priority: required);
#: the package depends on them instead of carrying copies.
SYSTEM_LIBRARIES = {"libblkid.so.1": "libblkid1", "libmount.so.1": "libmount1"}


def _debianise(lib: Path) -> None:
    """Fix what lintian reports as errors in a frozen tree, without changing behaviour."""
    for name in SYSTEM_LIBRARIES:
        (lib / "_internal" / name).unlink(missing_ok=True)
    for script in (lib / "_internal").rglob("*.py"):
        with script.open("rb") as stream:
            first = stream.readline()
        if first.startswith(b"#!"):  # Library modules, not scripts: torch ships a few with
            data = script.read_bytes()  # a broken `#!/usr/bin/env/python3` line.
            script.write_bytes(b"#" + data[2:])


def build_deb(app: Path, out: Path, architecture: str = "amd64") -> Path:
    if not (app / "enclave").is_file():
        raise SystemExit(f"{app}: no frozen app; run packaging/freeze.py first")
    with tempfile.TemporaryDirectory(prefix="enclave-deb-") as scratch:
        root = Path(scratch) / "root"
        lib = root / "usr/lib/enclave"
        shutil.copytree(app, lib, symlinks=True)
        _debianise(lib)
        (root / "usr/bin").mkdir(parents=True)
        (root / "usr/bin/enclave").symlink_to("../lib/enclave/enclave")
        for source, target in [
            (HERE / "deb/enclave.desktop", "usr/share/applications/enclave.desktop"),
            (ROOT / "resources/icons/enclave.svg",
             "usr/share/icons/hicolor/scalable/apps/enclave.svg"),
            (HERE / "deb/copyright", "usr/share/doc/enclave/copyright"),
            (HERE / "deb/lintian-overrides", "usr/share/lintian/overrides/enclave"),
        ]:
            (root / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, root / target)
        changelog = root / "usr/share/doc/enclave/changelog.gz"
        with gzip.GzipFile(changelog, "wb", mtime=0) as stream:
            stream.write(f"enclave ({VERSION}) stable; urgency=medium\n\n  * Release.\n\n"
                         " -- Enclave maintainers <enclave@example.invalid>  "
                         "Mon, 01 Jan 2024 00:00:00 +0000\n".encode())
        for path in root.rglob("*"):  # Debian wants 0755 directories and 0644/0755 files.
            if path.is_symlink():
                continue
            mode = path.stat().st_mode
            path.chmod(0o755 if path.is_dir() or mode & 0o111 else 0o644)
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()
                   and not p.is_symlink())
        (root / "DEBIAN").mkdir()
        (root / "DEBIAN/control").write_text(control(size // 1024 + 1, architecture))
        out.mkdir(parents=True, exist_ok=True)
        deb = out / f"{PACKAGE}_{VERSION}_{architecture}.deb"
        subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "-z3", "--build", str(root),
                        str(deb)], check=True, env={**os.environ, "SOURCE_DATE_EPOCH": _epoch()})
    return deb


def run_lintian(deb: Path) -> int:
    if shutil.which("lintian") is None:
        print("deb: lintian is not installed (apt-get install lintian); skipped")
        return 0
    result = subprocess.run(["lintian", "--fail-on", "error", "--tag-display-limit", "0",
                             str(deb)], capture_output=True, text=True, check=False)
    print(result.stdout + result.stderr)
    return result.returncode


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--app", type=Path, default=ROOT / "dist" / "Enclave")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--no-lintian", action="store_true")
    args = parser.parse_args(argv)
    deb = build_deb(args.app, args.out)
    print(f"deb: wrote {deb} ({deb.stat().st_size / 2**20:.0f} MiB)")
    return 0 if args.no_lintian else run_lintian(deb)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
