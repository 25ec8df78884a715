"""Near-twin reports: with the real embedder, FAISS, SQLite and pypdf, a question naming a
company and a year finds that year's report first, and its evidence page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.library import Library
from inference.evaluation.near_twins import (
    load_questions,
    plan_questions,
    plan_reports,
    write_report,
)

pytest.importorskip("fpdf", reason="the near-twin set is written with fpdf2 (a dev dependency)")


@pytest.fixture(scope="module")
def twins(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One company's five annual reports and another's for the same years."""
    folder = tmp_path_factory.mktemp("twins")
    for report in plan_reports()[:10]:
        write_report(report, folder / report.file)
    return folder


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder, twins: Path) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder)
    report = library.add([twins])
    assert len(report.added) == 10 and not report.failed
    yield library
    library.close()


def test_the_named_years_report_ranks_first_and_shows_its_evidence_page(
        library: Library) -> None:
    reports = plan_reports()[:10]
    questions = [q for q in plan_questions(plan_reports()) if q.doc in
                 {r.file for r in reports}]
    for question in questions:
        found = library.search(question.question, 5)
        assert found.filter is not None
        assert found[0].document_name == question.doc, question.question
        assert (question.doc, question.page) in {(p.document_name, p.page) for p in found}
    assert library.search(questions[0].question, 5, filtered=False).filter is None


def test_reports_know_their_title_and_period(library: Library) -> None:
    report = library.store.document(next(p for p in library.store.documents()).path)
    assert report is not None
    assert report.title == "Aldercrest Holdings — Annual Report 2019"
    assert report.period == "fiscal 2019"
    assert "Financial Highlights" in report.headings


def test_the_set_is_seeded_and_names_its_evidence(tmp_path: Path) -> None:
    assert plan_reports(3) == plan_reports(3) != plan_reports(4)
    questions = plan_questions(plan_reports())
    assert len(questions) == 200 and len({q.id for q in questions}) == 200
    assert all(q.page in range(2, 11) for q in questions)
    manifest = tmp_path / "set" / "near_twins.json"
    manifest.parent.mkdir()
    manifest.write_text(json.dumps({"kind": "near-twins"}), encoding="utf-8")
    with pytest.raises(Exception, match="expected documents"):
        load_questions(manifest.parent)
