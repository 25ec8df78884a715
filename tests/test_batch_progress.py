"""The indexing progress line's arithmetic: rates and a time left that settles."""

from __future__ import annotations

import pytest

from app.batch_progress import BatchEstimate, format_time_left, progress_text


def test_no_time_left_until_a_few_files_and_one_window() -> None:
    estimate = BatchEstimate(100, now=0.0)
    estimate.update(0, 0, now=5.0)  # the embedder loads: no file yet, and no rate
    estimate.update(2, 2, now=5.5)
    assert estimate.seconds_left is None and estimate.files_per_s is None
    estimate.update(2, 2, now=6.0)
    assert estimate.files_per_s == pytest.approx(2.0)
    assert estimate.seconds_left is None, "two files are too few to promise a time"
    estimate.update(4, 4, now=7.0)
    assert estimate.seconds_left is not None


def test_a_steady_rate_gives_the_exact_time_left() -> None:
    estimate = BatchEstimate(1000, now=0.0)
    for second in range(1, 21):
        estimate.update(10 * second, 30 * second, now=float(second))
    assert estimate.files_per_s == pytest.approx(10.0)
    assert estimate.pages_per_s == pytest.approx(30.0)
    assert estimate.seconds_left == pytest.approx((1000 - 200) / 10)


def test_bursts_are_averaged_and_the_estimate_settles() -> None:
    """Files finishing 20 at a time every 2 s (a batch embedded together) read as 10 files/s,
    and the time left changes little from one report to the next once settled."""
    estimate = BatchEstimate(2000, now=0.0)
    lefts = []
    for burst in range(1, 31):
        now = 2.0 * burst
        estimate.update(20 * (burst - 1), 0, now=now - 0.01)  # a tick just before the burst
        estimate.update(20 * burst, 0, now=now)
        left = estimate.seconds_left
        assert (left is None) == (burst == 1), "known from the second burst on"
        if left is not None:
            lefts.append(left + now)  # the predicted finishing time
    settled = lefts[5:]
    assert max(settled) - min(settled) < 0.1 * 200, "the finishing time moves by < 10 %"
    assert estimate.files_per_s == pytest.approx(10.0, rel=0.25)


def test_a_stall_lowers_the_rate_and_raises_the_time_left() -> None:
    estimate = BatchEstimate(100, now=0.0)
    for second in range(1, 6):
        estimate.update(5 * second, 5 * second, now=float(second))
    before = estimate.seconds_left
    for second in range(6, 12):  # a long book: ticks but no file finishes
        estimate.update(25, 25, now=float(second))
    assert before is not None and estimate.seconds_left is not None
    assert estimate.seconds_left > 2 * before


def test_a_long_stall_promises_no_time_left() -> None:
    estimate = BatchEstimate(100, now=0.0)
    for second in range(1, 6):
        estimate.update(5 * second, 5 * second, now=float(second))
    assert estimate.seconds_left is not None
    estimate.update(25, 25, now=30.0)  # one book for 25 s: the rate says nothing about it
    assert estimate.seconds_left is None
    assert progress_text(estimate, "book.pdf", 352).counts == "25 of 100 files · 25 pages"
    estimate.update(26, 377, now=31.0)
    assert estimate.seconds_left is not None


def test_the_total_can_be_learned_late() -> None:
    estimate = BatchEstimate(0, now=0.0)
    estimate.update(0, 0, now=0.1, total=50)
    assert estimate.total == 50


@pytest.mark.parametrize(("seconds", "text"), [
    (None, ""), (3, "a few seconds left"), (44, "about 40 s left"), (89, "about 1 min left"),
    (600, "about 10 min left"), (3 * 3600 + 7 * 60, "about 3 h 07 min left")])
def test_time_left_reads_as_a_person_would_say_it(seconds: float | None, text: str) -> None:
    assert format_time_left(seconds) == text


def test_progress_text_names_the_file_and_leaves_out_what_is_unknown() -> None:
    estimate = BatchEstimate(43, now=0.0)
    text = progress_text(estimate, "", None)
    assert (text.current, text.counts) == ("Indexing…", "0 of 43 files")
    for second in range(1, 5):
        estimate.update(second, 88 * second, now=float(second))
    text = progress_text(estimate, "freeculture.pdf", 352)
    assert text.current == "Indexing freeculture.pdf (352 pages)"
    assert text.counts == "4 of 43 files · 352 pages · 88 pages/s · about 40 s left"
