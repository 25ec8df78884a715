"""The bench command's parts: figures and reports, the CLI, and each bench on tiny inputs.

No test here asserts a speed: these machines are noisy, so targets are checked by
`python main.py bench`, not by tests.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

from app.cli import build_parser, run
from app.cli_bench import bench_folder, cmd_bench
from documents.errors import InvalidInputError
from inference.bench.common import BenchReport, hardware, median, percentile, ratio
from inference.bench.generate import question_pairs
from inference.bench.startup import MARK, _launch
from inference.engine import ChatMessage, ChatModel, GenerationSettings, _stop_prefix
from inference.settings import Settings
from tests.conftest import XQUAD


def test_medians_percentiles_and_ratios() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0], 0.95) == pytest.approx(4.8)
    assert percentile([7.0], 0.5) == 7.0
    assert math.isnan(median([])) and math.isnan(ratio(1.0, 0.0))


def test_report_prints_and_serialises_every_target(tmp_path: Path) -> None:
    report = BenchReport("demo", runs=3)
    report.figure("speed", "speed", "tok/s", [10.0, 12.0, 11.0])
    report.figure("missing", "missing", "ms", [float("nan")])
    report.ratios["speed_vs_raw"] = 0.97
    report.target("speed vs raw", 0.97, ">= 0.95", True)
    report.target("latency", 60.0, "<= 50 ms", False)
    data = json.loads(json.dumps(report.to_json()))
    assert data["figures"]["speed"] == {"value": 11.0, "unit": "tok/s",
                                        "runs": [10.0, 12.0, 11.0]}
    assert data["figures"]["missing"]["value"] is None
    assert data["targets"]["latency"] == {"value": 60.0, "goal": "<= 50 ms", "met": False}
    assert data["hardware"]["usable_cores"] >= 1 and data["hardware"]["cpu"]
    text = "\n".join(report.lines())
    assert "target latency: 60.0 (goal <= 50 ms) MISSED" in text
    assert "11.0 tok/s  (min 10.0, max 12.0)" in text


def test_hardware_names_the_processor_and_the_libraries() -> None:
    info = hardware()
    assert info["cores"] >= 1 and info["python"].count(".") == 2
    assert "llama-cpp-python" in info["packages"] and "onnxruntime" in info["packages"]


def test_cli_registers_each_stage() -> None:
    parser = build_parser()
    for stage in ("generate", "ingest", "retrieve", "startup"):
        args = parser.parse_args(["bench", stage, "--json", "--runs", "2"])
        assert args.handler is cmd_bench and args.stage == stage and args.json
    with pytest.raises(SystemExit):
        parser.parse_args(["bench", "everything"])


def test_cli_refuses_zero_runs() -> None:
    args = build_parser().parse_args(["bench", "generate", "--runs", "0"])
    with pytest.raises(ValueError, match="--runs"):
        cmd_bench(args)


def test_bench_data_defaults_only_where_the_source_tree_has_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An installed app has no ../shared/data: the flag is then required, and said so.
    with pytest.raises(InvalidInputError, match="needs --dataset FOLDER"):
        bench_folder(None, "--dataset", "docqa-xquad", shared=tmp_path)
    (tmp_path / "docqa-xquad").mkdir()
    assert bench_folder(None, "--dataset", "docqa-xquad", shared=tmp_path) == \
        tmp_path / "docqa-xquad"
    with pytest.raises(InvalidInputError, match="no such folder"):
        bench_folder(tmp_path / "missing", "--folder")
    # Through the CLI: one line naming the folder, no traceback, exit status 1.
    missing = tmp_path / "not-a-dataset"
    assert run(["bench", "generate", "--dataset", str(missing)]) == 1
    error = capsys.readouterr().err
    assert error.strip() == f"enclave: error: {missing}: no such folder (given as --dataset)"


def test_startup_waits_for_the_markers_and_ends_the_process(tmp_path: Path) -> None:
    script = (f"import sys, time; print('noise', file=sys.stderr); "
              f"print('{MARK} WINDOW_SHOWN 0.1', file=sys.stderr, flush=True); "
              f"print('{MARK} MODEL_LOADED 0.3 0.2', file=sys.stderr, flush=True); "
              "time.sleep(60)")
    found = _launch([sys.executable, "-c", script], {}, ["WINDOW_SHOWN", "MODEL_LOADED"],
                    tmp_path)
    assert found["MODEL_LOADED"][1] == ["0.3", "0.2"]
    assert 0 < found["WINDOW_SHOWN"][0] <= found["MODEL_LOADED"][0]
    with pytest.raises(ValueError, match="never reported MODEL_LOADED"):
        _launch([sys.executable, "-c", "import sys; print('boom', file=sys.stderr)"], {},
                ["MODEL_LOADED"], tmp_path)


def test_question_pairs_have_equal_lengths() -> None:
    pairs = question_pairs(XQUAD, 4)
    assert len(pairs) == 4 and len({q for pair in pairs for q in pair}) == 8
    assert all(len(a.split()) == len(b.split()) for a, b in pairs)


def test_stop_prefix_holds_back_only_what_could_become_a_stop() -> None:
    assert _stop_prefix("The answer<|im", ["<|im_end|>"]) == 4
    assert _stop_prefix("The answer", ["<|im_end|>"]) == 0
    assert _stop_prefix("see [1", ["[1]x", "1]"]) == 2


@pytest.mark.slow
def test_stream_gives_the_completion_apis_text_and_honours_stops(
        chat_model: ChatModel) -> None:
    prompt, stops = chat_model.format([ChatMessage("user", "Name three colours.")])
    settings = GenerationSettings(max_tokens=24)
    llama = chat_model.raw_llama()
    llama.reset()  # Each from an empty KV cache: a reused prefix may shift the last logits.
    streamed = "".join(chat_model.stream(prompt, stops, settings))
    llama.reset()
    expected = llama.create_completion(
        prompt, max_tokens=24, temperature=settings.temperature, top_p=settings.top_p,
        repeat_penalty=settings.repeat_penalty, seed=settings.seed, stop=stops)
    assert streamed == expected["choices"][0]["text"] and streamed
    word = streamed.split()[1]
    llama.reset()
    cut = "".join(chat_model.stream(prompt, [*stops, word], settings))
    assert cut == streamed[:streamed.index(word)]
    assert len(chat_model.prompt_tokens(prompt)) == chat_model.count_tokens(prompt) + len(
        chat_model.prompt_tokens(""))


@pytest.mark.slow
def test_ingest_and_retrieve_benches_on_tiny_inputs(docs_dir: Path) -> None:
    from inference.bench.ingest import run_ingest
    from inference.bench.retrieve import run_retrieve

    (docs_dir / "Warsaw.md").unlink()
    (docs_dir / "Super_Bowl_50.md").unlink()
    ingest = run_ingest(Settings(), [docs_dir], backends=[], runs=1)
    assert ingest.details["files_indexed"] == 1 and ingest.details["chunks"] > 0
    assert ingest.ratios["pipeline_vs_raw_encode"] > 0
    assert ingest.ratios["pipeline_vs_own_encode"] > 0
    assert ingest.figures["peak_rss_mib"].value > 0
    retrieve = run_retrieve(Settings(), [300], queries=3)
    assert retrieve.details["sizes"]["300"]["index"]["kind"] == "exact"
    assert retrieve.figures["hybrid_p95_ms_300"].value > 0
    assert "hybrid_p50_vs_raw_parts_300" in retrieve.ratios
    assert retrieve.details["sizes"]["300"]["collection"] == {"documents": 1, "chunks": 300}
    assert retrieve.figures["scoped_p95_ms_300"].value > 0
    assert "scoped_p95_vs_unscoped_p95_300" in retrieve.ratios
