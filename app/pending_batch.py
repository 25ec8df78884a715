"""The batch being indexed, kept on disk so a cut batch (cancel, crash, quit) can be resumed.

Written when a batch is queued and cleared when it completes, so a file left at start means
the last run did not finish: the window offers to resume it. It holds the paths as the user
gave them (files and folders) and, once known, how many files they held: never document
text. Paths are file names, which the encrypted data directory keeps secret, so with a data
key the file is sealed like the vector file.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from documents.crypto import DecryptionError, seal, unseal, write_atomically

log = logging.getLogger(__name__)

PENDING_FILE = "pending-batch.json"
_PURPOSE = "pending-batch"


@dataclass
class PendingBatch:
    """Paths not yet indexed to the end, and the number of files they held (0: unknown)."""

    paths: list[str] = field(default_factory=list)
    files: int = 0


class PendingBatchFile:
    """Reads and writes `PENDING_FILE` in a data directory, sealed when there is a key."""

    def __init__(self, data_dir: Path, key: bytes | None) -> None:
        self.path = data_dir / PENDING_FILE
        self._key = key

    def load(self) -> PendingBatch | None:
        """The batch a previous run left unfinished, or None (also for an unreadable file)."""
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            data = json.loads(unseal(blob, self._key, _PURPOSE) if self._key else blob)
            if not isinstance(data["paths"], list):
                raise TypeError("paths is not a list")
            batch = PendingBatch([str(p) for p in data["paths"]], int(data.get("files", 0)))
        except (OSError, ValueError, KeyError, TypeError, DecryptionError) as error:
            log.warning("ignoring an unreadable %s: %s", self.path.name, error)
            return None
        return batch if batch.paths else None

    def save(self, batch: PendingBatch) -> None:
        if not batch.paths:
            self.clear()
            return
        data = json.dumps({"paths": batch.paths, "files": batch.files}).encode()
        write_atomically(self.path, seal(data, self._key, _PURPOSE) if self._key else data)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)
