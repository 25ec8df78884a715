"""The models a user can choose from: the bundled ones, and GGUF files they added.

An added model is either copied into the user's models directory or referenced where it is
("linked"); either way it is recorded in `models.json` in the data directory with the
SHA-256 it had when it passed the checks. Adding runs the managed policy first (allowed
SHA-256 values, no imports where forbidden), then reads the file's metadata, loads it,
measures the memory it took and checks its chat template (`model_check`); a model that fails
is refused with the reason and nothing is recorded or copied.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from documents.errors import EnclaveError, InvalidInputError
from inference.catalog import CHAT_MODELS, DEFAULT_CHAT_MODEL
from inference.engine import ChatModel
from inference.model_check import TemplateCheck, check_chat_template
from inference.model_info import ModelDetails, describe_model, effective_gpu_layers, resident_bytes
from inference.paths import find_model, model_dirs, models_dir
from inference.policy import Policy
from inference.settings import Settings, load_settings, save_settings

REGISTRY_FILE = "models.json"
REGISTRY_VERSION = 1
#: The context the add-time check loads a model with: enough for the check's prompt.
CHECK_CONTEXT_TOKENS = 2048


class Origin(StrEnum):
    BUNDLED = "bundled"
    COPIED = "copied"
    LINKED = "linked"


class ModelRegistryError(EnclaveError, ValueError):
    """A model name that is not known, or an add/remove that cannot be done."""


@dataclass(frozen=True)
class ModelEntry:
    """One model on offer. `name` is what the user types (`models use NAME`)."""

    name: str
    path: Path
    origin: Origin
    source: str
    licence: str
    sha256: str
    description: str = ""
    #: RSS growth over loading the model and answering its check (0: not measured).
    measured_ram_bytes: int = 0
    check: dict[str, object] | None = None

    @property
    def present(self) -> bool:
        return self.path.is_file()

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "path": str(self.path), "origin": self.origin.value,
                "source": self.source, "licence": self.licence, "sha256": self.sha256,
                "description": self.description, "measured_ram_bytes": self.measured_ram_bytes,
                "check": self.check}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ModelEntry:
        check = data.get("check")
        return cls(str(data["name"]), Path(str(data["path"])), Origin(str(data["origin"])),
                   str(data.get("source", "")), str(data.get("licence", "")),
                   str(data.get("sha256", "")), str(data.get("description", "")),
                   int(str(data.get("measured_ram_bytes", 0))),
                   check if isinstance(check, dict) else None)


@dataclass(frozen=True)
class AddedModel:
    entry: ModelEntry
    details: ModelDetails
    check: TemplateCheck


def bundled_entries() -> list[ModelEntry]:
    """The catalog's chat models that are provisioned on this machine."""
    entries = []
    for model in CHAT_MODELS:
        path = find_model(model.file_name)
        if path is not None:
            entries.append(ModelEntry(model.label, path, Origin.BUNDLED, model.source,
                                      model.licence, model.sha256, model.description))
    return entries


class ModelRegistry:
    """The models of one data directory; every change is saved at once."""

    def __init__(self, data_dir: Path, policy: Policy | None = None) -> None:
        self.data_dir = data_dir
        self.policy = policy or Policy()
        self.path = data_dir / REGISTRY_FILE

    # -- reading ---------------------------------------------------------------------------
    def added(self) -> list[ModelEntry]:
        if not self.path.is_file():
            return []
        try:
            stored = json.loads(self.path.read_text(encoding="utf-8"))
            return [ModelEntry.from_json(item) for item in stored.get("models", [])]
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise InvalidInputError(f"{self.path}: unreadable list of added models "
                                    f"({error})") from error

    def entries(self) -> list[ModelEntry]:
        """Bundled models first (the catalog's order), then the added ones."""
        return [*bundled_entries(), *self.added()]

    def find(self, name: str) -> ModelEntry:
        """The entry called `name` (its name, file name or file stem, any case)."""
        wanted = name.strip().lower()
        for entry in self.entries():
            if wanted in (entry.name.lower(), entry.path.name.lower(), entry.path.stem.lower()):
                return entry
        known = ", ".join(e.name for e in self.entries()) or "none"
        raise ModelRegistryError(f"no model called '{name}'; the models are: {known}")

    def in_use(self, settings: Settings | None = None) -> Path | None:
        """The model file the data directory's settings choose (the default when unset)."""
        settings = settings or load_settings(self.data_dir)
        if settings.model_path:
            return Path(settings.model_path).expanduser()
        return find_model(DEFAULT_CHAT_MODEL.file_name)

    # -- changing --------------------------------------------------------------------------
    def add(self, path: Path, copy: bool, settings: Settings | None = None) -> AddedModel:
        """Check `path` and record it (copying it into the models directory with `copy`).

        Raises PolicyError, ModelFileError, ModelLoadError or TemplateCheckError (each names
        the file and the cause) or ModelRegistryError (already added, name taken).
        """
        path = path.expanduser().resolve()
        settings = settings or load_settings(self.data_dir)
        self.policy.check_model(path, model_dirs())  # Import allowed? SHA-256 on the list?
        details = describe_model(path)
        for entry in self.entries():
            if entry.sha256 == details.sha256:
                raise ModelRegistryError(f"{path.name} is already on the list, as "
                                         f"'{entry.name}'")
        name = path.stem
        if any(e.name.lower() == name.lower() for e in self.entries()):
            raise ModelRegistryError(f"a model called '{name}' is already on the list; "
                                     "rename the file to add this one too")
        before = resident_bytes()
        model = ChatModel(path, CHECK_CONTEXT_TOKENS, settings.threads or None,
                          effective_gpu_layers(settings.gpu_layers))
        try:
            check = check_chat_template(model)  # Loads it: a broken template fails there.
            measured = max(0, resident_bytes() - before)
        finally:
            model.close()
        target = path
        if copy:
            target = self._copy_in(path)
        entry = ModelEntry(name, target, Origin.COPIED if copy else Origin.LINKED,
                           f"added from {path}", details.licence, details.sha256,
                           details.name, measured, check.to_json())
        self._save([*self.added(), entry])
        return AddedModel(entry, details, check)

    def remove(self, name: str) -> ModelEntry:
        """Forget an added model (deleting its copy, never a linked original). The bundled
        models belong to the installation and cannot be removed here."""
        entry = self.find(name)
        if entry.origin is Origin.BUNDLED:
            raise ModelRegistryError(f"'{entry.name}' came with Enclave and cannot be removed")
        if self.in_use() == entry.path:
            raise ModelRegistryError(f"'{entry.name}' is the model in use; choose another "
                                     "one first")
        self._save([e for e in self.added() if e.path != entry.path])
        if entry.origin is Origin.COPIED:
            entry.path.unlink(missing_ok=True)
        return entry

    def use(self, name: str) -> ModelEntry:
        """Make `name` the model the data directory answers with (saved in its settings)."""
        entry = self.find(name)
        if not entry.present:
            raise ModelRegistryError(f"{entry.path}: the file of '{entry.name}' is gone")
        self.policy.check_model(entry.path, model_dirs())
        save_settings(self.data_dir, load_settings(self.data_dir).with_changes(
            model_path=str(entry.path)))
        return entry

    def _copy_in(self, path: Path) -> Path:
        folder = models_dir()
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        if target.exists():
            if target.resolve() == path:
                return target
            raise ModelRegistryError(f"{target} already exists; rename the file to add it")
        partial = target.with_name(f".{target.name}.{int(time.time())}.part")
        shutil.copyfile(path, partial)
        partial.replace(target)
        return target

    def _save(self, entries: list[ModelEntry]) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps({
            "version": REGISTRY_VERSION,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "models": [e.to_json() for e in entries]}, indent=2), encoding="utf-8")
        temporary.replace(self.path)
