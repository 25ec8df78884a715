#!/usr/bin/env python3
"""Verify an Enclave release directory against a public key you already trust.

    python3 packaging/verify.py RELEASE_DIR --key enclave-release.asc [--fingerprint FPR]

Checks, in order: `SHA256SUMS.asc` is a valid detached OpenPGP signature of `SHA256SUMS` made
by the given key (imported into a throw-away keyring, so no other key on this machine counts;
`--fingerprint` pins the exact key), every file listed in `SHA256SUMS` exists with that SHA-256,
and no file in the directory is unlisted. Any tampered byte, missing or extra file fails.
Standard library and `gpg` only, so IT can run it on the machine that received the release.
Exit status: 0 verified, 1 not verified, 2 usage.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path, PurePosixPath

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.asc"


class VerifyError(Exception):
    """The release did not verify; the message says what failed."""


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def parse_sums(text: str) -> dict[str, str]:
    """`<sha256>  <relative path>` lines (GNU coreutils format) to {path: sha256}."""
    entries: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, sep, name = line.partition("  ")
        name = name.removeprefix("*")
        pure = PurePosixPath(name)
        if (not sep or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest)
                or not name or pure.is_absolute() or ".." in pure.parts):
            raise VerifyError(f"{SUMS} line {number} is malformed: {line!r}")
        if name in entries:
            raise VerifyError(f"{SUMS} lists {name} twice")
        entries[name] = digest
    if not entries:
        raise VerifyError(f"{SUMS} lists no files")
    return entries


def check_signature(release: Path, key: Path, fingerprint: str | None, gpg: str = "gpg") -> str:
    """The signing key's fingerprint, if the signature is good and made by `key`."""
    with tempfile.TemporaryDirectory(prefix="enclave-verify-") as home:
        Path(home).chmod(0o700)
        env = {**os.environ, "GNUPGHOME": home}
        base = [gpg, "--batch", "--no-tty", "--no-auto-key-retrieve", "--no-autostart"]
        imported = subprocess.run([*base, "--import", str(key)], env=env, capture_output=True,
                                  text=True, check=False)
        if imported.returncode != 0:
            raise VerifyError(f"{key}: not a usable OpenPGP public key: "
                              f"{imported.stderr.strip()}")
        result = subprocess.run(
            [*base, "--status-fd", "1", "--verify", str(release / SIGNATURE),
             str(release / SUMS)], env=env, capture_output=True, text=True, check=False)
        subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, check=False)
    status = [line.split() for line in result.stdout.splitlines() if line.startswith("[GNUPG:]")]
    valid = [words for words in status if len(words) > 2 and words[1] == "VALIDSIG"]
    bad = {"BADSIG", "ERRSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "NO_PUBKEY"}
    if result.returncode != 0 or not valid or any(w[1] in bad for w in status if len(w) > 1):
        detail = result.stderr.strip().splitlines()
        raise VerifyError(f"{SIGNATURE}: the signature of {SUMS} does not verify with {key} "
                          f"({detail[-1] if detail else 'no valid signature'})")
    signer = valid[0][2]
    primary = valid[0][-1] if len(valid[0]) >= 12 else signer
    if fingerprint is not None:
        wanted = fingerprint.replace(" ", "").upper()
        if wanted not in {signer.upper(), primary.upper()}:
            raise VerifyError(f"{SIGNATURE}: signed by {primary}, not the pinned {wanted}")
    return primary


def verify_release(release: Path, key: Path, fingerprint: str | None = None) -> list[str]:
    """Raise VerifyError unless `release` verifies; return the lines to report."""
    for name in (SUMS, SIGNATURE):
        if not (release / name).is_file():
            raise VerifyError(f"{release / name}: missing")
    signer = check_signature(release, key, fingerprint)
    entries = parse_sums((release / SUMS).read_text(encoding="utf-8"))
    problems = []
    for name, digest in sorted(entries.items()):
        path = release / name
        if not path.is_file():
            problems.append(f"{name}: missing")
        elif sha256_file(path) != digest:
            problems.append(f"{name}: SHA-256 differs from {SUMS} (altered)")
    present = {p.relative_to(release).as_posix() for p in release.rglob("*")
               if p.is_file() or p.is_symlink()}
    for extra in sorted(present - set(entries) - {SUMS, SIGNATURE}):
        problems.append(f"{extra}: not listed in {SUMS} (added)")
    if problems:
        raise VerifyError("; ".join(problems))
    return [f"signature: good, key {signer}", f"files: {len(entries)} verified, none extra"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Verify an Enclave release directory.")
    parser.add_argument("release", type=Path, help="the release directory")
    parser.add_argument("--key", type=Path, required=True,
                        help="the release public key (armored or binary), obtained out of band")
    parser.add_argument("--fingerprint", default=None,
                        help="also require this exact signing key fingerprint")
    args = parser.parse_args(argv)
    try:
        lines = verify_release(args.release, args.key, args.fingerprint)
    except VerifyError as error:
        print(f"verify: FAILED: {error}", file=sys.stderr)
        return 1
    for line in lines:
        print(f"verify: {line}")
    print(f"verify: OK {args.release}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
