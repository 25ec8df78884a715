"""llama.cpp's own messages go to Enclave's log, never to the terminal under an answer.

The bundled 0.5B model makes llama.cpp warn on every load ("control-looking token ... was
not control-type"); llama-cpp-python's level mapping printed it as an error on stderr.
"""

from __future__ import annotations

import logging

import pytest

from inference.catalog import DEFAULT_CHAT_MODEL
from inference.model_file import read_metadata
from tests.conftest import _require


def test_llama_cpp_warnings_are_logged_not_printed(capfd: pytest.CaptureFixture[str],
                                                     caplog: pytest.LogCaptureFixture) -> None:
    path = _require(DEFAULT_CHAT_MODEL.file_name, "the default chat model")
    with caplog.at_level(logging.DEBUG, logger="enclave.llama_cpp"):
        values, parameters = read_metadata(path, ["general.architecture"])
    assert values == {"general.architecture": "qwen2"} and parameters > 0
    assert capfd.readouterr().err == ""
    assert any(record.name == "enclave.llama_cpp" for record in caplog.records)
