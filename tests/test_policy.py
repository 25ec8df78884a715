"""The managed policy: parsing, where it is found, and each rule as the CLI and core enforce it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from app import cli
from inference import policy as policy_module
from inference.answer import Answer, Timings
from inference.catalog import DEFAULT_CHAT_MODEL
from inference.policy import (
    POLICY_FILE_ENV,
    Policy,
    PolicyError,
    load_policy,
    parse_policy,
)
from inference.settings import Settings
from inference.workspace import Workspace

SMOLLM_SHA = DEFAULT_CHAT_MODEL.sha256
OTHER_SHA = "0" * 64


@pytest.fixture()
def no_system_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Point the platform path at a file that does not exist (yet), and clear the env var."""
    system = tmp_path / "etc" / "policy.toml"
    monkeypatch.setattr(policy_module, "platform_policy_path", lambda: system)
    monkeypatch.delenv(POLICY_FILE_ENV, raising=False)
    return system


def write_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(POLICY_FILE_ENV, str(path))
    return path


# -- reading the file ----------------------------------------------------------------------
def test_no_policy_file_restricts_nothing(no_system_policy: Path) -> None:
    policy = load_policy()
    assert policy == Policy() and policy.source is None
    assert not policy.restricts_anything and policy.locked_settings() == {}


def test_every_field_is_read(no_system_policy: Path, monkeypatch: pytest.MonkeyPatch,
                             tmp_path: Path) -> None:
    path = write_policy(monkeypatch, tmp_path, f"""
        allowed_model_sha256 = ["{SMOLLM_SHA.upper()}"]
        disable_model_import = true
        data_dir = "{tmp_path}/fixed/{{user}}"
        disable_export = true
        force_audit_log = true
    """)
    policy = load_policy()
    assert policy.source == path
    assert policy.allowed_model_sha256 == {SMOLLM_SHA}  # Normalised to lower case.
    assert policy.disable_model_import and policy.disable_export and policy.force_audit_log
    assert policy.data_dir is not None and policy.data_dir.parent == tmp_path / "fixed"
    assert "{user}" not in str(policy.data_dir)
    locked = policy.locked_settings()
    assert set(locked) == {"data_dir", "model_path", "export", "audit_log"}
    assert all(str(path) in reason for reason in locked.values())


@pytest.mark.parametrize(("text", "message"), [
    ("disable_exports = true", "unknown key"),
    ("disable_export = 'yes'", "must be true or false"),
    ('allowed_model_sha256 = ["abc"]', "not a SHA-256"),
    ('allowed_model_sha256 = "' + "a" * 64 + '"', "must be a list"),
    ('data_dir = "relative/dir"', "must be absolute"),
    ("disable_export = [", "unreadable managed policy"),
])
def test_a_bad_policy_stops_the_app_instead_of_being_half_applied(
        no_system_policy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str,
        message: str) -> None:
    write_policy(monkeypatch, tmp_path, text)
    with pytest.raises(PolicyError, match=message):
        load_policy()


def test_a_named_but_missing_policy_file_is_an_error(no_system_policy: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    monkeypatch.setenv(POLICY_FILE_ENV, str(tmp_path / "absent.toml"))
    with pytest.raises(PolicyError, match="does not exist"):
        load_policy()


def test_the_system_policy_wins_over_the_environment_variable(
        no_system_policy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    no_system_policy.parent.mkdir(parents=True)
    no_system_policy.write_text("disable_export = true\n")
    write_policy(monkeypatch, tmp_path, "disable_export = false\n")
    policy = load_policy()
    assert policy.source == no_system_policy and policy.disable_export


def test_platform_paths() -> None:
    assert policy_module.platform_policy_path().name == "policy.toml"


# -- data directory ------------------------------------------------------------------------
def test_a_fixed_data_dir_refuses_another_one(no_system_policy: Path,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    fixed = tmp_path / "fixed"
    write_policy(monkeypatch, tmp_path, f'data_dir = "{fixed}"\n')
    assert cli.run(["docs", "--data-dir", str(tmp_path / "mine")]) == 1
    error = capsys.readouterr().err
    assert "data directory is fixed to" in error and "managed policy" in error
    with pytest.raises(PolicyError, match="fixed to"):
        Workspace(tmp_path / "mine", policy=load_policy())


def test_a_fixed_data_dir_overrides_the_default_and_the_environment(
        no_system_policy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    fixed = tmp_path / "fixed"
    write_policy(monkeypatch, tmp_path, f'data_dir = "{fixed}"\n')
    monkeypatch.setenv("ENCLAVE_DATA_DIR", str(tmp_path / "from-env"))
    args = cli.build_parser().parse_args(["conversations", "--no-encryption"])
    workspace = cli.workspace_for(args)
    try:
        assert workspace.data_dir == fixed.resolve()
    finally:
        workspace.close()
    # Naming the fixed directory itself is fine.
    args = cli.build_parser().parse_args(["conversations", "--data-dir", str(fixed)])
    cli.workspace_for(args).close()


# -- models ----------------------------------------------------------------------------------
def test_a_model_not_on_the_allow_list_is_refused_before_loading(tmp_path: Path) -> None:
    fake = tmp_path / "other.gguf"
    fake.write_bytes(b"not really a model")
    policy = Policy(allowed_model_sha256=frozenset({SMOLLM_SHA}), source=tmp_path / "p.toml")
    workspace = Workspace(tmp_path / "data", Settings(model_path=str(fake)), policy=policy)
    with pytest.raises(PolicyError, match="not on the list of allowed models") as caught:
        _ = workspace.model
    assert hashlib.sha256(b"not really a model").hexdigest() in str(caught.value)
    with pytest.raises(PolicyError, match="not on the list"):
        workspace.switch_model(fake)


def test_a_model_on_the_allow_list_is_accepted(tmp_path: Path, default_model_path: Path) -> None:
    policy = Policy(allowed_model_sha256=frozenset({OTHER_SHA, SMOLLM_SHA}))
    workspace = Workspace(tmp_path / "data", Settings(model_path=str(default_model_path)),
                          policy=policy)
    assert workspace.model.file.sha256 == SMOLLM_SHA  # Header read; weights not loaded.
    workspace.close()


def test_disabled_model_import_refuses_files_from_elsewhere(
        no_system_policy: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], default_model_path: Path) -> None:
    elsewhere = tmp_path / "downloads" / "model.gguf"
    elsewhere.parent.mkdir()
    elsewhere.write_bytes(b"x")
    write_policy(monkeypatch, tmp_path, "disable_model_import = true\n")
    assert cli.run(["ask", "hi", "--model", str(elsewhere), "--data-dir",
                    str(tmp_path / "d")]) == 1
    assert "model import is disabled" in capsys.readouterr().err
    workspace = Workspace(tmp_path / "data", policy=load_policy())
    with pytest.raises(PolicyError, match="model import is disabled"):
        workspace.switch_model(elsewhere)
    # A model IT provisioned in the models directory may still be chosen.
    load_policy().check_model_import(default_model_path, default_model_path.parent)


def test_a_link_placed_in_the_models_directory_counts_as_provisioned(tmp_path: Path) -> None:
    models = tmp_path / "models"
    models.mkdir()
    real = tmp_path / "opt" / "m.gguf"
    real.parent.mkdir()
    real.write_bytes(b"x")
    (models / "m.gguf").symlink_to(real)
    policy = Policy(disable_model_import=True)
    policy.check_model_import(models / "m.gguf", models)
    with pytest.raises(PolicyError):
        policy.check_model_import(real, models)


# -- export and audit ----------------------------------------------------------------------
def test_disabled_export_refuses_audit_export(no_system_policy: Path,
                                              monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    write_policy(monkeypatch, tmp_path, "disable_export = true\n")
    assert cli.run(["audit", "export", "--data-dir", str(tmp_path / "d"),
                    "--no-encryption"]) == 1
    assert "audit export is disabled" in capsys.readouterr().err
    with pytest.raises(PolicyError, match="export is disabled"):
        load_policy().check_export()
    Policy().check_export()  # No policy: allowed.


def test_a_forced_audit_log_records_even_when_the_user_turned_it_off(tmp_path: Path) -> None:
    policy = Policy(force_audit_log=True)
    assert policy.audit_log_enabled(False) and Policy().audit_log_enabled(False) is False
    with pytest.raises(PolicyError, match="cannot be turned off"):
        policy.check_audit_log_change(False)
    policy.check_audit_log_change(True)

    workspace = Workspace(tmp_path / "data", Settings(audit_log=False), policy=policy)
    try:
        workspace.unlock(opt_out=True)
        conversation = workspace.conversations.create("t").id
        answer = Answer(question="q", text="a", sent="a", citations=[],
                        timings=Timings(1.0, 2.0, 3.0, 1, 1.0), model={"file": "m"},
                        covered=False)
        workspace.record_answer(conversation, answer)
        assert workspace.audit.verify().entries == 1
    finally:
        workspace.close()


def test_policy_errors_name_the_policy_file(tmp_path: Path) -> None:
    policy = parse_policy({"disable_export": True}, tmp_path / "policy.toml")
    with pytest.raises(PolicyError, match=str(tmp_path / "policy.toml")):
        policy.check_export()
