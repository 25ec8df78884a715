"""The suite itself refuses the network, and so does the app's own guard."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inference.offline import is_local_address

REPO = Path(__file__).resolve().parent.parent


def test_a_test_that_connects_to_another_machine_fails_the_suite(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(textwrap.dedent("""
        import socket

        def test_phones_home():
            try:
                socket.create_connection(("203.0.113.7", 443), timeout=1)
            except OSError:
                pass  # A library that swallows the error must not hide the attempt.
    """))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(probe), "-p", "tests.network_guard", "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path)],
        cwd=REPO, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "non-loopback network access attempted" in result.stdout


def test_loopback_stays_allowed_in_tests() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        with socket.create_connection(server.getsockname(), timeout=2):
            pass


def test_the_app_guard_refuses_remote_hosts_in_a_fresh_process() -> None:
    script = textwrap.dedent("""
        import socket, sys
        from inference.offline import NetworkBlockedError, install_network_guard
        install_network_guard()
        for target in [("203.0.113.7", 80), ("2001:db8::1", 80)]:
            family = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
            try:
                socket.socket(family).connect(target)
            except NetworkBlockedError:
                continue
            sys.exit(f"not blocked: {target}")
        try:
            socket.getaddrinfo("example.org", 443)
        except NetworkBlockedError:
            pass
        else:
            sys.exit("name lookup not blocked")
        server = socket.socket(); server.bind(("127.0.0.1", 0)); server.listen(1)
        socket.create_connection(server.getsockname(), timeout=2).close()
        print("guarded")
    """)
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "guarded" in result.stdout
    assert "Enclave blocked a network access" in result.stderr


@pytest.mark.parametrize(("address", "local"), [
    (("127.0.0.1", 80), True), (("::1", 80, 0, 0), True), ("localhost", True),
    ("/run/user/0/bus", True), (("10.0.0.1", 80), False), (("203.0.113.7", 80), False),
    ("example.org", False),
])
def test_local_addresses(address: object, local: bool) -> None:
    assert is_local_address(address) is local
