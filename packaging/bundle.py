#!/usr/bin/env python3
"""Build the offline bundle for air-gapped machines: wheels, models, checksums, signature.

    .venv/bin/python packaging/bundle.py [--out DIR] [--key KEY_ID] [--gnupghome DIR]
                                         [--archive] [--with-test-models]

Run on a connected build machine with the same Python minor version and platform as the
targets (wheels are platform-specific; llama-cpp-python is compiled here, GGML_NATIVE=OFF).
The result, `dist/enclave-offline-<version>-<python>-<platform>/`, holds:

    wheels/            every wheel `pip install enclave` needs (pip wheel of this checkout)
    models/            the default chat model and MODELS.sha256
    install.sh         creates a venv with --no-index, installs, copies models, runs selfcheck
    verify.py          checks SHA256SUMS.asc with a given public key, then every file
    sbom.cdx.json      CycloneDX list of every wheel and model, with SHA-256
    SHA256SUMS(.asc)   checksums of all of the above, and their detached signature

On the target: `./install.sh --key enclave-release.asc` (see packaging/README.md). Only this
build step uses the network; the install never does.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from release import seal  # noqa: E402
from sbom import model_components, wheel_components  # noqa: E402

from inference.catalog import DEFAULT_CHAT_MODEL, GEMMA3_270M, WheelModel  # noqa: E402
from inference.paths import find_model  # noqa: E402
from inference.provision import sha256_of  # noqa: E402

VERSION = "0.1.0"
#: llama-cpp-python is compiled for the bundle: portable (no -march=native), no download code.
CMAKE_ARGS = "-DGGML_NATIVE=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF"
#: Wheels installed without their declared dependencies (the file says why).
NO_DEPS_REQUIREMENTS = HERE / "requirements-no-deps.txt"


def python_tag() -> str:
    return f"cp{sys.version_info.major}{sys.version_info.minor}"


def bundle_id() -> str:
    return f"enclave-offline-{VERSION}-{python_tag()}-{sys.platform}_{platform.machine()}"


def collect_wheels(into: Path) -> list[Path]:
    """`pip wheel` of this checkout: the enclave wheel plus every run-time dependency."""
    into.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", CMAKE_ARGS)}
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(into),
                    str(ROOT)], check=True, env=env)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(into), "-r", str(NO_DEPS_REQUIREMENTS)],
                   check=True, env=env)
    wheels = sorted(into.glob("*.whl"))
    if not any(w.name.startswith("enclave-") for w in wheels):
        raise SystemExit("pip wheel did not produce the enclave wheel")
    return wheels


def copy_models(models: list[WheelModel], into: Path) -> list[Path]:
    into.mkdir(parents=True, exist_ok=True)
    copied, lines = [], []
    for model in models:
        source = find_model(model.file_name)
        if source is None or sha256_of(source) != model.sha256:
            raise SystemExit(f"{model.file_name}: not provisioned or not verified; run "
                             "`python main.py provision` first")
        target = into / model.file_name
        shutil.copyfile(source, target)
        copied.append(target)
        lines.append(f"{model.sha256}  {model.file_name}\n")
    (into / "MODELS.sha256").write_text("".join(lines), encoding="utf-8")
    return copied


def build(out: Path, key: str | None, gnupghome: Path | None, models: list[WheelModel],
          archive: bool) -> Path:
    started = time.monotonic()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    wheels = collect_wheels(out / "wheels")
    model_files = copy_models(models, out / "models")
    shutil.copy(HERE / "offline" / "install.sh", out / "install.sh")
    shutil.copy(NO_DEPS_REQUIREMENTS, out / NO_DEPS_REQUIREMENTS.name)
    shutil.copy(HERE / "verify.py", out / "verify.py")
    (out / "PYTHON_TAG").write_text(python_tag() + "\n")
    (out / "BUNDLE_ID").write_text(bundle_id() + "\n")
    licences = {m.file_name: (m.licence, f"{m.description}; from {m.source}, carried by "
                              f"{m.parts[0][0].split('==')[0]} ({len(m.parts)} wheel(s))")
                for m in models}
    components = wheel_components(wheels) + model_components(
        (path, *licences[path.name]) for path in model_files)
    seal(out, key, gnupghome, components, VERSION)
    result = out
    if archive:
        result = out.with_name(out.name + ".tar")
        with tarfile.open(result, "w") as tar:  # Wheels and GGUF do not compress further.
            tar.add(out, arcname=out.name)
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"bundle: {out} ({len(wheels)} wheels, {len(model_files)} model(s), "
          f"{size / 2**20:.0f} MiB) in {time.monotonic() - started:.0f} s"
          + ("" if key else "; NOT signed (no --key)"))
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="the bundle directory (default: dist/<bundle id>)")
    parser.add_argument("--key", default=None, help="OpenPGP key to sign SHA256SUMS with")
    parser.add_argument("--gnupghome", type=Path, default=None)
    parser.add_argument("--archive", action="store_true", help="also write DIR.tar")
    parser.add_argument("--with-test-models", action="store_true",
                        help="also ship the second GGUF used by model-switching tests")
    args = parser.parse_args(argv)
    models = [DEFAULT_CHAT_MODEL] + ([GEMMA3_270M] if args.with_test_models else [])
    out = args.out or ROOT / "dist" / bundle_id()
    print(f"bundle: wrote {build(out, args.key, args.gnupghome, models, args.archive)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
