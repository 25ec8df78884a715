"""Release signing and verification with a throw-away OpenPGP key; the SBOM beside it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

sys.path.insert(0, str(REPO / "packaging"))

from release import SBOM_FILE, seal
from sbom import model_components, wheel_components
from verify import SIGNATURE, SUMS, VerifyError, verify_release

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")


class Signer:
    def __init__(self, home: Path, uid: str) -> None:
        self.home = home
        self.env = {**os.environ, "GNUPGHOME": str(home)}
        self.gpg("--quick-generate-key", "--passphrase", "", uid, "ed25519", "sign", "never")
        listing = self.gpg("--with-colons", "--list-keys", uid).stdout
        self.fingerprint = next(line.split(":")[9] for line in listing.splitlines()
                                if line.startswith("fpr:"))
        self.public_key = home / "public.asc"
        self.public_key.write_text(self.gpg("--armor", "--export", self.fingerprint).stdout)

    def gpg(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["gpg", "--batch", "--no-tty", "--pinentry-mode", "loopback",
                               *args], env=self.env, capture_output=True, text=True, check=True)

    def close(self) -> None:
        subprocess.run(["gpgconf", "--kill", "all"], env=self.env, check=False,
                       capture_output=True)
        shutil.rmtree(self.home, ignore_errors=True)


def _signer(uid: str) -> Iterator[Signer]:
    # A short path: gpg-agent's socket lives in GNUPGHOME and socket paths are length-limited.
    home = Path(tempfile.mkdtemp(prefix="gpg-"))
    home.chmod(0o700)
    signer = Signer(home, uid)
    yield signer
    signer.close()


@pytest.fixture(scope="module")
def signer() -> Iterator[Signer]:
    yield from _signer("Enclave Test Release <release@example.invalid>")


@pytest.fixture(scope="module")
def impostor() -> Iterator[Signer]:
    yield from _signer("Someone Else <else@example.invalid>")


@pytest.fixture()
def release(tmp_path: Path, signer: Signer) -> Path:
    folder = tmp_path / "release"
    (folder / "wheels").mkdir(parents=True)
    (folder / "enclave_0.1.0_amd64.deb").write_bytes(os.urandom(4096))
    (folder / "wheels" / "a-1.0-py3-none-any.whl").write_bytes(b"PK fake wheel")
    (folder / "install.sh").write_text("#!/bin/sh\necho install\n")
    model = folder / "model.gguf"
    model.write_bytes(b"GGUF" + bytes(100))
    seal(folder, signer.fingerprint, signer.home,
         sbom_components=model_components([(model, "Apache-2.0", "test model")]))
    return folder


def verify_cli(folder: Path, key: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REPO / "packaging" / "verify"), str(folder), "--key", str(key),
                           *extra], capture_output=True, text=True, check=False)


def test_a_sealed_release_verifies(release: Path, signer: Signer) -> None:
    listed = (release / SUMS).read_text().splitlines()
    assert {line.split("  ")[1] for line in listed} == {
        "enclave_0.1.0_amd64.deb", "wheels/a-1.0-py3-none-any.whl", "install.sh", "model.gguf",
        SBOM_FILE}
    assert (release / SIGNATURE).read_text().startswith("-----BEGIN PGP SIGNATURE-----")
    lines = verify_release(release, signer.public_key, signer.fingerprint)
    assert signer.fingerprint in lines[0]
    result = verify_cli(release, signer.public_key, "--fingerprint", signer.fingerprint)
    assert result.returncode == 0 and "verify: OK" in result.stdout, result.stderr


def test_one_flipped_byte_fails(release: Path, signer: Signer) -> None:
    target = release / "enclave_0.1.0_amd64.deb"
    data = bytearray(target.read_bytes())
    data[2048] ^= 0x01
    target.write_bytes(bytes(data))
    result = verify_cli(release, signer.public_key)
    assert result.returncode == 1
    assert "enclave_0.1.0_amd64.deb: SHA-256 differs" in result.stderr


def test_a_missing_file_fails(release: Path, signer: Signer) -> None:
    (release / "wheels" / "a-1.0-py3-none-any.whl").unlink()
    with pytest.raises(VerifyError, match=r"wheels/a-1.0-py3-none-any.whl: missing"):
        verify_release(release, signer.public_key)


def test_an_added_file_fails(release: Path, signer: Signer) -> None:
    (release / "wheels" / "evil-1.0-py3-none-any.whl").write_bytes(b"PK")
    with pytest.raises(VerifyError, match="not listed"):
        verify_release(release, signer.public_key)


def test_edited_sums_break_the_signature(release: Path, signer: Signer) -> None:
    sums = release / SUMS
    sums.write_text(sums.read_text().replace("install.sh", "install.sh ", 1))
    with pytest.raises(VerifyError, match="does not verify"):
        verify_release(release, signer.public_key)


def test_a_missing_signature_fails(release: Path, signer: Signer) -> None:
    (release / SIGNATURE).unlink()
    result = verify_cli(release, signer.public_key)
    assert result.returncode == 1 and "missing" in result.stderr


def test_another_key_is_not_trusted(release: Path, signer: Signer, impostor: Signer) -> None:
    with pytest.raises(VerifyError, match="does not verify"):
        verify_release(release, impostor.public_key)
    # Re-signed by the impostor: good signature, wrong key for a pinned fingerprint.
    seal(release, impostor.fingerprint, impostor.home)
    verify_release(release, impostor.public_key)
    with pytest.raises(VerifyError, match="not the pinned"):
        verify_release(release, impostor.public_key, signer.fingerprint)


def test_the_sbom_lists_what_ships(release: Path) -> None:
    sbom = json.loads((release / SBOM_FILE).read_text())
    assert sbom["bomFormat"] == "CycloneDX" and sbom["specVersion"] == "1.5"
    (model,) = sbom["components"]
    assert model["type"] == "machine-learning-model" and model["name"] == "model.gguf"
    validator = pytest.importorskip("cyclonedx.validation.json")
    schema = pytest.importorskip("cyclonedx.schema")
    error = validator.JsonStrictValidator(schema.SchemaVersion.V1_5).validate_str(
        (release / SBOM_FILE).read_text())
    assert error is None, error


def test_wheel_components_carry_name_version_and_hash(tmp_path: Path) -> None:
    import zipfile

    wheel = tmp_path / "demo_pkg-1.2.3-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo_pkg-1.2.3.dist-info/METADATA",
                         "Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.2.3\n"
                         "License-Expression: MIT\nSummary: demo\n")
    (component,) = wheel_components([wheel])
    assert component["purl"] == "pkg:pypi/demo-pkg@1.2.3"
    assert component["licenses"] == [{"expression": "MIT"}]
    assert len(component["hashes"][0]["content"]) == 64


def test_no_private_key_is_in_the_repository() -> None:
    tracked = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    marker = b"PRIVATE" + b" KEY" + b"-----"  # Split, so this file does not match itself.
    for name in tracked:
        path = REPO / name
        if path.is_file() and path.stat().st_size < 1_000_000:
            assert marker not in path.read_bytes(), name
