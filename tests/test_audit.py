"""The audit trail detects any altered, removed or reordered entry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from documents.crypto import open_database
from inference.audit import AUDIT_FILE, AuditLog
from inference.encryption import unlock
from tests.conftest import REPO


@pytest.fixture()
def log_dir(tmp_path: Path) -> Path:
    key = unlock(tmp_path).key
    log = AuditLog(tmp_path, key)
    for n in range(1, 6):
        log.append({"time": f"2026-11-23T10:0{n}:00+00:00", "question_sha256": f"{n:064x}",
                    "answer_sha256": f"{n * 7:064x}", "citations": []})
    assert log.verify().ok and log.verify().entries == 5
    log.close()
    return tmp_path


def tamper(data_dir: Path, *statements: str) -> None:
    db = open_database(data_dir / AUDIT_FILE, unlock(data_dir).key)
    db.execute("DROP TRIGGER entries_are_append_only")  # An attacker with the key can.
    for statement in statements:
        db.execute(statement)
    db.close()


def problems(data_dir: Path) -> list[str]:
    log = AuditLog(data_dir, unlock(data_dir).key)
    try:
        return log.verify().problems
    finally:
        log.close()


def test_entries_cannot_be_updated_through_the_database(log_dir: Path) -> None:
    db = open_database(log_dir / AUDIT_FILE, unlock(log_dir).key)
    with pytest.raises(Exception, match="cannot be changed"):
        db.execute("UPDATE entries SET body = '{}' WHERE seq = 2")
    db.close()


def test_an_altered_entry_is_detected(log_dir: Path) -> None:
    tamper(log_dir, "UPDATE entries SET body = replace(body, 'answer', 'ANSWER') WHERE seq = 3")
    assert any("entry 3: content altered" in p for p in problems(log_dir))


def test_a_removed_entry_is_detected(log_dir: Path) -> None:
    tamper(log_dir, "DELETE FROM entries WHERE seq = 2")
    assert any("entry 3" in p and "missing" in p for p in problems(log_dir))


def test_reordered_entries_are_detected(log_dir: Path) -> None:
    # Entries 2 and 3 swap places: each keeps its own content and chain hashes.
    tamper(log_dir, "CREATE TABLE copy AS SELECT * FROM entries",
           "UPDATE entries SET (body, previous, hash) = (SELECT body, previous, hash FROM copy "
           "WHERE copy.seq = 5 - entries.seq) WHERE seq IN (2, 3)")
    found = problems(log_dir)
    assert any("entry 2" in p for p in found) and any("entry 3" in p for p in found)


def test_entries_removed_from_the_end_are_detected(log_dir: Path) -> None:
    tamper(log_dir, "DELETE FROM entries WHERE seq >= 4")
    assert any("removed from the end" in p for p in problems(log_dir))


def test_cli_verify_and_export(log_dir: Path, tmp_path: Path) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(REPO / "main.py"), "audit", *args,
                               "--data-dir", str(log_dir)], cwd=REPO, capture_output=True,
                              text=True, check=False)

    assert cli("verify").returncode == 0
    out = tmp_path / "audit.json"
    assert cli("export", "--output", str(out)).returncode == 0
    exported = json.loads(out.read_text())["entries"]
    assert [e["seq"] for e in exported] == [1, 2, 3, 4, 5]
    assert exported[1]["previous_hash"] == exported[0]["hash"]
    tamper(log_dir, "UPDATE entries SET body = replace(body, '2026', '2025') WHERE seq = 1")
    broken = cli("verify")
    assert broken.returncode == 1 and "BROKEN" in broken.stdout and "entry 1" in broken.stderr
