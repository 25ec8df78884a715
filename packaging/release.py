#!/usr/bin/env python3
"""Seal a release directory: SBOM, SHA256SUMS over every file, detached OpenPGP signature.

    python3 packaging/release.py DIR --key KEY_ID [--gnupghome DIR] [--sbom-wheels WHEELS_DIR]
                                 [--sbom-installed] [--model FILE]

`DIR` holds what ships (the .deb, the offline bundle archive, ...). This writes
`sbom.cdx.json` (CycloneDX) when asked, then `SHA256SUMS` (GNU format, sorted, paths relative
to DIR) and `SHA256SUMS.asc` made by `gpg --detach-sign --armor` with KEY_ID. The private
key stays in the signer's keyring (a smartcard or an offline machine in practice); nothing
here reads or stores it. Check a release with `packaging/verify`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sbom import build_sbom, installed_components, model_components, wheel_components, write_sbom
from verify import SIGNATURE, SUMS, sha256_file

SBOM_FILE = "sbom.cdx.json"


def write_sums(release: Path) -> Path:
    """SHA256SUMS over every file below `release` except the sums and their signature."""
    lines = []
    for path in sorted(release.rglob("*")):
        name = path.relative_to(release).as_posix()
        if path.is_file() and name not in {SUMS, SIGNATURE}:
            lines.append(f"{sha256_file(path)}  {name}\n")
    target = release / SUMS
    target.write_text("".join(lines), encoding="utf-8")
    return target


def sign(release: Path, key: str, gnupghome: Path | None = None) -> Path:
    """Detached, armored signature of SHA256SUMS by `key` (from the signer's keyring)."""
    env = dict(os.environ)
    if gnupghome is not None:
        env["GNUPGHOME"] = str(gnupghome)
    signature = release / SIGNATURE
    signature.unlink(missing_ok=True)
    subprocess.run(["gpg", "--batch", "--yes", "--no-tty", "--local-user", key, "--armor",
                    "--detach-sign", "--output", str(signature), str(release / SUMS)],
                   env=env, check=True, capture_output=True)
    return signature


def seal(release: Path, key: str | None, gnupghome: Path | None = None,
         sbom_components: list[dict[str, object]] | None = None,
         product_version: str = "0.1.0") -> list[Path]:
    """SBOM (if components are given), sums, and the signature (if a key is given)."""
    written = []
    if sbom_components is not None:
        written.append(write_sbom(release / SBOM_FILE,
                                  build_sbom(sbom_components, product_version)))
    written.append(write_sums(release))
    if key:
        written.append(sign(release, key, gnupghome))
    return written


def _model_identity(path: Path) -> tuple[Path, str, str]:
    """(file, licence, description) from the catalog, for the SBOM; unknown files say so."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from inference.catalog import KNOWN_MODELS

    for model in KNOWN_MODELS:
        if model.file_name == path.name:
            return path, model.licence, f"{model.description}; from {model.source}"
    return path, "unknown (not a catalog model)", path.name


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("release", type=Path)
    parser.add_argument("--key", default=None, help="signing key id or fingerprint")
    parser.add_argument("--gnupghome", type=Path, default=None)
    parser.add_argument("--sbom-wheels", type=Path, default=None,
                        help="list the wheels in this folder in the SBOM")
    parser.add_argument("--sbom-installed", action="store_true",
                        help="list the installed run-time dependencies of enclave in the SBOM")
    parser.add_argument("--model", type=Path, action="append", default=[],
                        help="a model file shipped in the release (repeatable)")
    args = parser.parse_args(argv)
    components: list[dict[str, object]] | None = None
    if args.sbom_wheels or args.sbom_installed or args.model:
        components = []
        if args.sbom_wheels:
            components += wheel_components(args.sbom_wheels.glob("*.whl"))
        if args.sbom_installed:
            components += installed_components()
        components += model_components(_model_identity(m) for m in args.model)
    for path in seal(args.release, args.key, args.gnupghome, components):
        print(f"release: wrote {path}")
    if not args.key:
        print("release: no --key given: SHA256SUMS is NOT signed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
