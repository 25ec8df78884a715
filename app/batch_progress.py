"""The indexing progress line: rates and time left, smoothed so the estimate settles.

Files finish in bursts (small files are embedded together, a long book alone), so a rate
measured file by file jumps between zero and thousands per second. `BatchEstimate` samples
the rates over windows of at least `window_s` seconds and smooths the samples exponentially;
it gives no time left until a few files and one window have been seen. Qt-free and given the
time explicitly, so its arithmetic is tested without a clock.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Weight of the newest rate sample; the estimate settles over about 1 / SMOOTHING windows.
SMOOTHING = 0.3
#: Shortest span a rate is measured over, in seconds.
WINDOW_S = 1.0
#: Files to finish before a time left is shown at all.
SETTLE_FILES = 3
#: With no file finished for this long (a long book), no time left is promised.
STALL_S = 15.0


class BatchEstimate:
    """Files and pages done in one batch, their smoothed rates and the time left."""

    def __init__(self, total: int, now: float, window_s: float = WINDOW_S,
                 smoothing: float = SMOOTHING, settle_files: int = SETTLE_FILES) -> None:
        self.total = total
        self.done = 0
        self.pages = 0
        self._window_s = window_s
        self._smoothing = smoothing
        self._settle_files = settle_files
        self._window_start = now
        self._window_done = 0
        self._window_pages = 0
        self._now = now
        self._last_file = now
        self.files_per_s: float | None = None
        self.pages_per_s: float | None = None

    def update(self, done: int, pages: int, now: float, total: int | None = None) -> None:
        """Record the batch's counts at time `now`; call it on every report and now and then
        while none comes, so a stall lowers the rates."""
        if total is not None:
            self.total = total
        if done > self.done:
            self._last_file = now
        self._now = now
        self.done = max(self.done, done)
        self.pages = max(self.pages, pages)
        if self.done == 0:  # still starting (loading the embedder): not a rate to count
            self._window_start = now
            return
        span = now - self._window_start
        if span < self._window_s:
            return
        files_rate = (self.done - self._window_done) / span
        pages_rate = (self.pages - self._window_pages) / span
        self.files_per_s = self._smooth(self.files_per_s, files_rate)
        self.pages_per_s = self._smooth(self.pages_per_s, pages_rate)
        self._window_start = now
        self._window_done = self.done
        self._window_pages = self.pages

    def _smooth(self, old: float | None, sample: float) -> float:
        return sample if old is None else self._smoothing * sample + (1 - self._smoothing) * old

    @property
    def stalled(self) -> bool:
        """No file finished for `STALL_S`: one file (a long book) holds everything up."""
        return self._now - self._last_file > STALL_S

    @property
    def seconds_left(self) -> float | None:
        """Seconds to finish the batch at the smoothed rate; None while it is not settled or
        while one file holds everything up (the rate then says nothing about the rest)."""
        if self.done < self._settle_files or not self.files_per_s or self.stalled:
            return None
        return max(0, self.total - self.done) / self.files_per_s


def format_time_left(seconds: float | None) -> str:
    """'about 3 min left', rounded as a person would say it; '' when unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 60:
        return f"about {round(seconds / 10) * 10} s left"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"about {minutes} min left"
    hours, minutes = divmod(minutes, 60)
    return f"about {hours} h {minutes:02d} min left"


@dataclass(frozen=True)
class ProgressText:
    """The two lines of the progress display."""

    current: str
    counts: str


def progress_text(estimate: BatchEstimate, current: str, current_pages: int | None) -> ProgressText:
    """'Indexing book.pdf (352 pages)' over '4 of 43 files · 120 pages · 18 pages/s · about
    2 min left'; the parts not known yet are left out."""
    title = f"Indexing {current}" if current else "Indexing…"
    if current and current_pages:
        title += f" ({current_pages:,} page{'s' if current_pages != 1 else ''})"
    parts = [f"{estimate.done:,} of {estimate.total:,} file{'s' if estimate.total != 1 else ''}"]
    if estimate.pages:
        parts.append(f"{estimate.pages:,} page{'s' if estimate.pages != 1 else ''}")
    if estimate.pages_per_s and estimate.done and not estimate.stalled:
        parts.append(_rate(estimate.pages_per_s))
    left = format_time_left(estimate.seconds_left)
    if left:
        parts.append(left)
    return ProgressText(title, " · ".join(parts))


def ocr_progress_text(current: str, done: int, total: int, pages_per_s: float | None,
                      seconds_left: float | None) -> ProgressText:
    """The batch's OCR phase, which counts pages, not files (a scan is read a page in seconds):
    'Reading scan.pdf (OCR)' over '3 of 12 scanned pages · 0.4 pages/s · about 1 min left'."""
    title = f"Reading {current} (OCR)" if current else "Reading scanned pages (OCR)"
    parts = [f"{done:,} of {total:,} scanned page{'s' if total != 1 else ''}"]
    if pages_per_s:
        parts.append(_rate(pages_per_s))
    left = format_time_left(seconds_left)
    if left:
        parts.append(left)
    return ProgressText(title, " · ".join(parts))


def _rate(pages_per_s: float) -> str:
    return f"{pages_per_s:.0f} pages/s" if pages_per_s >= 10 else f"{pages_per_s:.1f} pages/s"
