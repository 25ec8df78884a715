"""The model manager: what a GGUF file says, adding (checked), using and removing models
through the CLI, the refusal of a model whose chat template fails, and the record of which
model answered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app import cli
from inference.catalog import SMOLLM2_135M
from inference.engine import ChatModel
from inference.model_check import TemplateCheckError, check_chat_template
from inference.model_file import read_model_file
from inference.model_info import describe_model, effective_gpu_layers, offload_text
from inference.model_registry import REGISTRY_FILE, ModelRegistry
from inference.paths import MODELS_DIR_ENV, find_model
from inference.settings import load_settings
from inference.workspace import Workspace

#: SmolLM2's own template names its assistant; changing the name (same length) gives a file
#: with another SHA-256 whose template still works.
TEMPLATE_NAME = b"named SmolLM, trained"
RENAMED = b"named Enclav, trained"
#: Templates put in place of SmolLM2's (padded with spaces to its length): one that is not
#: valid Jinja, and one that renders only the last message.
BROKEN = b"{% for message in messages %}{{ message['content'] }}"
LAST_ONLY = b"{{ messages[-1]['content'] }}"


def tiny_path() -> Path:
    path = find_model(SMOLLM2_135M.file_name)
    if path is None:
        pytest.fail(f"{SMOLLM2_135M.file_name} is not provisioned: run `python main.py "
                    "provision --with-test-models`")
    return path


def patched_copy(target: Path, old: bytes, new: bytes) -> Path:
    """A copy of the tiny model with `old` replaced by `new` (same length) in its header.

    The chat template is a string in the GGUF header; keeping its length keeps every offset
    after it, so llama.cpp reads the copy like the original.
    """
    assert len(old) == len(new)
    data = bytearray(tiny_path().read_bytes())
    at = data.find(old, 0, 4 << 20)
    assert at > 0, "the template text was not found in the header"
    data[at:at + len(old)] = new
    target.write_bytes(bytes(data))
    return target


def template_copy(target: Path, template: bytes) -> Path:
    """A copy of the tiny model whose whole chat template is `template` (padded)."""
    original = read_model_file(tiny_path()).chat_template
    assert original is not None
    old = original.encode("utf-8")
    return patched_copy(target, old, template.ljust(len(old)))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_metadata_of_the_bundled_tiny_model() -> None:
    details = describe_model(tiny_path())
    assert details.architecture == "llama"
    assert details.parameters_text == "135M" and 130e6 < details.parameters < 140e6
    assert details.quantization == "Q4_1"
    assert details.context_length == 8192
    assert details.chat_template
    assert details.licence == "apache-2.0"
    assert details.sha256 == SMOLLM2_135M.sha256
    assert (details.layers, details.embedding, details.heads, details.kv_heads) == \
        (30, 576, 9, 3)
    # Keys and values, f16: 2 x 30 layers x 4096 positions x 3 KV heads x 64 dims x 2 bytes.
    assert details.kv_cache_bytes(4096) == 2 * 30 * 4096 * 3 * 64 * 2
    assert details.ram_estimate_bytes(4096) > details.size_bytes + details.kv_cache_bytes(4096)


def test_automatic_gpu_offload_follows_the_llama_cpp_build() -> None:
    import llama_cpp

    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    assert effective_gpu_layers(-1) == (-1 if gpu else 0)
    assert effective_gpu_layers(0) == 0 and effective_gpu_layers(12) == 12
    assert ("all layers on the GPU" if gpu else "CPU only") in offload_text(-1)


def test_bundled_models_are_listed_with_source_and_licence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "models", "list", "--json", "--data-dir", str(tmp_path))
    assert code == 0
    listed = {m["name"]: m for m in json.loads(out)["models"]}
    tiny = listed["tiny"]
    assert tiny["origin"] == "bundled" and tiny["licence"] == "Apache-2.0"
    assert tiny["source"] == SMOLLM2_135M.source and tiny["sha256"] == SMOLLM2_135M.sha256


@pytest.mark.slow
def test_add_use_info_and_remove_through_the_cli(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    data = str(tmp_path / "data")
    original = patched_copy(tmp_path / "SmolLM2-renamed.gguf", TEMPLATE_NAME, RENAMED)
    linked = patched_copy(tmp_path / "SmolLM2-linked.gguf", TEMPLATE_NAME,
                          b"named Linked, trained")
    monkeypatch.setenv(MODELS_DIR_ENV, str(tmp_path / "models"))  # Copies go here.

    code, out, err = run_cli(capsys, "models", "add", str(original), "--copy", "--data-dir",
                             data)
    assert code == 0, err
    copied = tmp_path / "models" / original.name
    assert copied.is_file() and "added 'SmolLM2-renamed'" in out
    assert "template check: asked" in out

    code, out, _ = run_cli(capsys, "models", "info", "SmolLM2-renamed", "--json",
                           "--data-dir", data)
    info = json.loads(out)
    assert code == 0 and info["path"] == str(copied) and info["quantization"] == "Q4_1"
    assert info["registry"]["origin"] == "copied" and info["registry"]["measured_ram_bytes"] > 0
    assert info["sha256"] != SMOLLM2_135M.sha256 and not info["in_use"]

    assert run_cli(capsys, "models", "use", "SmolLM2-renamed", "--data-dir", data)[0] == 0
    assert load_settings(Path(data)).model_path == str(copied)
    code, _, err = run_cli(capsys, "models", "remove", "SmolLM2-renamed", "--data-dir", data)
    assert code == 1 and "is the model in use" in err

    # A second, linked model: used where it is, and never deleted on removal.
    assert run_cli(capsys, "models", "add", str(linked), "--link", "--data-dir", data)[0] == 0
    assert run_cli(capsys, "models", "use", "SmolLM2-linked", "--data-dir", data)[0] == 0
    code, out, _ = run_cli(capsys, "models", "remove", "SmolLM2-renamed", "--data-dir", data)
    assert code == 0 and "deleted its copy" in out and not copied.exists()
    assert run_cli(capsys, "models", "remove", "SmolLM2-linked", "--data-dir", data)[0] == 1
    names = [m.name for m in ModelRegistry(Path(data)).added()]
    assert names == ["SmolLM2-linked"] and linked.is_file()


@pytest.mark.slow
def test_a_gguf_whose_template_fails_is_refused_with_the_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = template_copy(tmp_path / "broken-template.gguf", BROKEN)
    data = tmp_path / "data"
    code, _, err = run_cli(capsys, "models", "add", str(broken), "--link", "--data-dir",
                           str(data))
    assert code == 1
    assert "broken-template.gguf: its chat template does not work" in err
    assert not (data / REGISTRY_FILE).exists()


@pytest.mark.slow
def test_the_bundled_tiny_model_passes_the_template_check() -> None:
    model = ChatModel(tiny_path(), context_tokens=2048)
    try:
        check = check_chat_template(model)
    finally:
        model.close()
    assert check.answer and check.prompt_tokens > 100
    assert check.question == "How long does keep-warm last?"


def test_a_template_that_drops_the_turns_is_refused(tmp_path: Path) -> None:
    """Valid Jinja that renders only the last message: the system prompt is lost."""
    path = template_copy(tmp_path / "last-only.gguf", LAST_ONLY)
    model = ChatModel(path, context_tokens=2048)
    try:
        with pytest.raises(TemplateCheckError, match="drops or reorders the turns"):
            check_chat_template(model)
    finally:
        model.close()


@pytest.mark.slow
def test_audit_export_names_the_model_of_every_answer(
        tmp_path: Path, docs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "data"
    workspace = Workspace(data)
    workspace.unlock(opt_out=True)
    workspace.settings = workspace.settings.with_changes(model_path=str(tiny_path()),
                                                         threads=1)
    try:
        workspace.library.add([docs_dir])
        conversation = workspace.conversations.create("audit").id
        for question in ("Who won Super Bowl 50?", "What is the capital of Mongolia?"):
            workspace.conversations.add_message(conversation, "user", question)
            list(workspace.answer(conversation, question))
    finally:
        workspace.close()
    out = tmp_path / "audit.json"
    assert run_cli(capsys, "audit", "export", "--output", str(out), "--data-dir",
                   str(data))[0] == 0
    entries = json.loads(out.read_text())["entries"]
    assert len(entries) == 2
    for entry in entries:
        assert entry["entry"]["model_file"] == SMOLLM2_135M.file_name
        assert entry["entry"]["model_sha256"] == SMOLLM2_135M.sha256
        assert entry["entry"]["time"]
