"""A CycloneDX 1.5 SBOM (JSON) of what a release bundles: wheels, Python packages, models.

Written from the artefacts themselves (wheel file names and metadata, installed
distributions' metadata, model files' SHA-256), not from a requirements file, so it lists
exactly what ships. Standard library only.
"""

from __future__ import annotations

import email.parser
import hashlib
import importlib.metadata
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

SPEC_VERSION = "1.5"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence(meta: Any) -> list[dict[str, Any]]:
    expression = meta.get("License-Expression")
    if expression:
        return [{"expression": expression}]
    text = (meta.get("License") or "").strip()
    if text and "\n" not in text and len(text) < 80:
        return [{"license": {"name": text}}]
    classifiers = [c.split("::")[-1].strip() for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::") and c.split("::")[-1].strip() != "OSI Approved"]
    return [{"license": {"name": c}} for c in classifiers[:1]]


def _component(name: str, version: str, meta: Any, hashes: dict[str, str] | None = None,
               file_name: str | None = None) -> dict[str, Any]:
    component: dict[str, Any] = {
        "type": "library", "bom-ref": f"pkg:pypi/{_normalise(name)}@{version}",
        "name": name, "version": version, "purl": f"pkg:pypi/{_normalise(name)}@{version}",
    }
    if meta is not None:
        licences = _licence(meta)
        if licences:
            component["licenses"] = licences
        if meta.get("Summary"):
            component["description"] = meta.get("Summary")
    if hashes:
        component["hashes"] = [{"alg": "SHA-256", "content": hashes["sha256"]}]
    if file_name:
        component["properties"] = [{"name": "enclave:file", "value": file_name}]
    return component


def wheel_components(wheels: Iterable[Path]) -> list[dict[str, Any]]:
    """One component per wheel file, with the wheel's SHA-256 and its metadata."""
    components = []
    for wheel in sorted(wheels):
        with zipfile.ZipFile(wheel) as archive:
            member = next(n for n in archive.namelist()
                          if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
            meta = email.parser.BytesParser().parsebytes(archive.read(member))
        components.append(_component(meta["Name"], meta["Version"], meta,
                                     {"sha256": _sha256(wheel)}, wheel.name))
    return components


def installed_components(root: str = "enclave") -> list[dict[str, Any]]:
    """The installed distributions `root` needs at run time (its non-extra requirements)."""
    from packaging.requirements import Requirement  # Present wherever pip is.

    seen: dict[str, dict[str, Any]] = {}
    pending = [root]
    while pending:
        name = _normalise(pending.pop())
        if name in seen:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        seen[name] = _component(dist.metadata["Name"], dist.version, dist.metadata)
        for text in dist.requires or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return [seen[k] for k in sorted(seen)]


def model_components(models: Iterable[tuple[Path, str, str]]) -> list[dict[str, Any]]:
    """(file, licence, description) of each model file shipped."""
    components = []
    for path, licence, description in models:
        digest = _sha256(path)
        components.append({
            "type": "machine-learning-model", "bom-ref": f"model:{path.name}@{digest[:12]}",
            "name": path.name, "version": digest[:12], "description": description,
            "hashes": [{"alg": "SHA-256", "content": digest}],
            "licenses": [{"license": {"name": licence}}],
        })
    return components


def build_sbom(components: list[dict[str, Any]], product_version: str,
               extra_properties: dict[str, str] | None = None) -> dict[str, Any]:
    unique: dict[str, dict[str, Any]] = {}
    for component in components:
        unique.setdefault(component["bom-ref"], component)
    return {
        "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{uuid.uuid4()}", "version": 1,
        "metadata": {
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "component": {"type": "application", "bom-ref": f"enclave@{product_version}",
                          "name": "Enclave", "version": product_version},
            "properties": [{"name": k, "value": v}
                           for k, v in sorted((extra_properties or {}).items())],
        },
        "components": list(unique.values()),
    }


def write_sbom(path: Path, sbom: dict[str, Any]) -> Path:
    path.write_text(json.dumps(sbom, indent=2) + "\n", encoding="utf-8")
    return path
