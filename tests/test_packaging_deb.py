"""The .deb layout, built around a stand-in for the frozen app (the real one takes minutes)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "packaging"))

from deb import build_deb


@pytest.mark.skipif(shutil.which("dpkg-deb") is None, reason="dpkg-deb is not installed")
def test_the_package_layout_and_that_it_never_touches_user_data(tmp_path: Path) -> None:
    app = tmp_path / "Enclave"
    (app / "_internal").mkdir(parents=True)
    (app / "enclave").write_text("#!/bin/sh\necho enclave\n")
    (app / "enclave").chmod(0o755)
    deb = build_deb(app, tmp_path / "out")
    contents = subprocess.run(["dpkg-deb", "--contents", str(deb)], capture_output=True,
                              text=True, check=True).stdout
    paths = {line.split()[5].removeprefix(".") for line in contents.splitlines()}
    assert {"/usr/lib/enclave/enclave", "/usr/bin/enclave",
            "/usr/share/applications/enclave.desktop",
            "/usr/share/icons/hicolor/scalable/apps/enclave.svg",
            "/usr/share/doc/enclave/copyright"} <= paths
    assert not any(p.startswith(("/opt", "/home", "/root", "/etc")) for p in paths)
    assert "/usr/bin/enclave -> ../lib/enclave/enclave" in contents
    control = subprocess.run(["dpkg-deb", "--field", str(deb), "Package", "Depends"],
                             capture_output=True, text=True, check=True).stdout
    assert "Package: enclave" in control and "libxcb-cursor0" in control
    # No maintainer scripts: removing or purging the package cannot reach users' data.
    members = subprocess.run(["dpkg-deb", "--ctrl-tarfile", str(deb)], capture_output=True,
                             check=True).stdout
    listing = subprocess.run(["tar", "-t"], input=members, capture_output=True,
                             check=True).stdout.decode()
    assert not {"./postrm", "./prerm", "./postinst", "./preinst"} & set(listing.split())


def test_the_desktop_entry_runs_the_gui() -> None:
    entry = (REPO / "packaging" / "deb" / "enclave.desktop").read_text()
    assert "Exec=enclave gui" in entry and "Icon=enclave" in entry
    if shutil.which("desktop-file-validate"):
        subprocess.run(["desktop-file-validate", str(REPO / "packaging/deb/enclave.desktop")],
                       check=True)


def test_the_offline_install_script_is_valid_posix_shell() -> None:
    subprocess.run(["sh", "-n", str(REPO / "packaging" / "offline" / "install.sh")], check=True)
