"""What every bench shares: medians, percentiles, hardware facts and the report format."""

from __future__ import annotations

import contextlib
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

#: Versions worth knowing when comparing two reports.
_PACKAGES = ("llama-cpp-python", "torch", "sentence-transformers", "onnxruntime", "faiss-cpu",
             "numpy", "PySide6-Essentials")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], share: float) -> float:
    """The `share` quantile (0..1) by linear interpolation, as numpy's default."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError):
        pass
    return None


def hardware() -> dict[str, Any]:
    """The machine, as far as a report needs it; the load average says how noisy it was."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        usable = os.cpu_count() or 1
    info: dict[str, Any] = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
    }
    with contextlib.suppress(OSError):
        info["load_average"] = [round(value, 2) for value in os.getloadavg()]
    versions = {}
    for package in _PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            continue
    info["packages"] = versions
    return info


def peak_rss_mib() -> float | None:
    """This process's peak resident memory since start or the last `reset_peak_rss`."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError):
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def reset_peak_rss() -> bool:
    """Start a new peak-memory window (Linux only); False where the kernel does not allow it."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@dataclass
class Figure:
    """One measured quantity over several runs; `value` is the median."""

    name: str
    unit: str
    runs: list[float]
    value: float = float("nan")

    def __post_init__(self) -> None:
        if self.runs and self.value != self.value:
            self.value = median(self.runs)

    def to_json(self) -> dict[str, Any]:
        return {"value": _round(self.value), "unit": self.unit,
                "runs": [_round(run) for run in self.runs]}


@dataclass
class Target:
    """A goal from the issue: met or missed, never hidden."""

    name: str
    value: float
    goal: str
    met: bool

    def to_json(self) -> dict[str, Any]:
        return {"value": _round(self.value), "goal": self.goal, "met": self.met}


@dataclass
class BenchReport:
    bench: str
    runs: int
    figures: dict[str, Figure] = field(default_factory=dict)
    ratios: dict[str, float] = field(default_factory=dict)
    targets: list[Target] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    hardware: dict[str, Any] = field(default_factory=hardware)
    started: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def figure(self, key: str, name: str, unit: str, runs: Sequence[float]) -> Figure:
        self.figures[key] = Figure(name, unit, list(runs))
        return self.figures[key]

    def target(self, name: str, value: float, goal: str, met: bool) -> None:
        self.targets.append(Target(name, value, goal, bool(met)))

    def to_json(self) -> dict[str, Any]:
        return {
            "bench": self.bench, "started": self.started, "runs": self.runs,
            "hardware": self.hardware,
            "figures": {key: figure.to_json() for key, figure in self.figures.items()},
            "ratios": {key: _round(value) for key, value in self.ratios.items()},
            "targets": {target.name: target.to_json() for target in self.targets},
            "details": self.details, "notes": self.notes,
        }

    def lines(self) -> list[str]:
        """The human-readable report."""
        hw = self.hardware
        out = [f"bench {self.bench}: median of {self.runs} runs, {self.started}",
               f"  hardware: {hw.get('cpu')}, {hw.get('usable_cores')} usable cores, "
               f"{hw.get('memory_gib')} GiB, load average {hw.get('load_average')}"]
        width = max((len(f.name) for f in self.figures.values()), default=10)
        for figure in self.figures.values():
            spread = ""
            if len(figure.runs) > 1:
                spread = f"  (min {_fmt(min(figure.runs))}, max {_fmt(max(figure.runs))})"
            out.append(f"  {figure.name:<{width}}  {_fmt(figure.value)} {figure.unit}{spread}")
        for key, value in self.ratios.items():
            out.append(f"  ratio {key}: {_fmt(value)}")
        for target in self.targets:
            verdict = "met" if target.met else "MISSED"
            out.append(f"  target {target.name}: {_fmt(target.value)} (goal {target.goal}) "
                       f"{verdict}")
        out += [f"  note: {note}" for note in self.notes]
        return out


def _round(value: float) -> float | None:
    if value != value:  # NaN has no JSON form
        return None
    return round(value, 4)


def _fmt(value: float) -> str:
    if value != value:
        return "n/a"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}" if abs(value) < 1 else f"{value:.2f}"
