"""Showing results: live progress, the final table (ratios to the first endpoint), ``--json`` and
``--plot`` (matplotlib, imported only when asked for)."""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

from pycloud.bench.driver import Reporter, RunResult
from pycloud.bench.histogram import Histogram


class PlotUnavailable(RuntimeError):
    """matplotlib is not installed."""


class _NoteReporter(Reporter):
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def note(self, text: str) -> None:
        print(f"pycloud bench: {text}", file=self.stream, flush=True)


class LineReporter(_NoteReporter):
    """A single carriage-return status line on a terminal."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.label = ""
        self.last = 0.0

    def phase(self, text: str) -> None:
        self._line(text)

    def start(self, label: str, requests: int | None, duration: float | None) -> None:
        self.label = label
        self.bound = " / ".join(b for b in (f"{requests} req" if requests else "", f"{duration:g} s" if duration else "") if b)

    def update(self, completed: int, errors: int, elapsed: float) -> None:
        now = time.monotonic()
        if now - self.last < 0.2:
            return
        self.last = now
        rate = completed / elapsed if elapsed > 0 else 0.0
        self._line(f"{self.label}: {completed} ok, {errors} errors, {elapsed:.1f} s ({self.bound}), {rate:,.0f} ops/s")

    def finish(self) -> None:
        self._line("")

    def _line(self, text: str) -> None:
        self.stream.write("\r\x1b[2K" + text[:200])
        self.stream.flush()

    def note(self, text: str) -> None:
        self._line("")
        super().note(text)


class RichReporter(_NoteReporter):
    """A rich progress bar (elapsed or requests done)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = Console(file=stream)
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[stats]}"),
                                 TimeElapsedColumn(), console=self.console, transient=True)
        self.task: Any = None
        self.requests: int | None = None
        self.duration: float | None = None

    def start(self, label: str, requests: int | None, duration: float | None) -> None:
        self.requests, self.duration = requests, duration
        self.progress.start()
        self.task = self.progress.add_task(label, total=1.0, stats="")

    def update(self, completed: int, errors: int, elapsed: float) -> None:
        if self.task is None:
            return
        done = 0.0
        if self.requests:
            done = completed / self.requests
        if self.duration:
            done = max(done, elapsed / self.duration)
        rate = completed / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=min(done, 1.0),
                             stats=f"{completed:,} ok  {errors:,} err  {rate:,.0f} ops/s")

    def finish(self) -> None:
        if self.task is not None:
            self.progress.stop()
            self.progress.remove_task(self.task)
            self.task = None

    def note(self, text: str) -> None:
        self.console.print(f"pycloud bench: {text}", markup=False, highlight=False)


def make_reporter(stream: TextIO | None = None) -> Reporter:
    """rich progress on a terminal when rich is importable, else a plain line; notes only otherwise."""
    stream = stream or sys.stderr
    if not stream.isatty():
        return _NoteReporter(stream)
    try:
        import rich  # noqa: F401
    except ImportError:
        return LineReporter(stream)
    return RichReporter(stream)


# --- summaries ------------------------------------------------------------------------------------


def summarise(results: list[RunResult]) -> list[tuple[RunResult, float | None]]:
    """Rounds merged per (workload, endpoint), in first-seen order, each with its ops/s ratio to
    the same workload on the first endpoint."""
    groups: dict[tuple[str, str], list[RunResult]] = {}
    for r in results:
        groups.setdefault((r.workload, r.endpoint), []).append(r)
    merged = [RunResult.merged(rs) for rs in groups.values()]
    base: dict[str, float] = {}
    out = []
    for m in merged:
        reference = base.setdefault(m.workload, m.ops_per_s)
        out.append((m, m.ops_per_s / reference if reference > 0 else None))
    return out


def _ms(ns: int) -> str:
    ms = ns / 1e6
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}" if ms < 1000 else f"{ms:.0f}"


def _errors(codes: dict[str, int]) -> str:
    if not codes:
        return "0"
    return ", ".join(f"{code}×{n}" for code, n in sorted(codes.items(), key=lambda kv: -kv[1])[:3]) + \
        (" …" if len(codes) > 3 else "")


def format_table(results: list[RunResult]) -> str:
    """The final table: one row per workload and endpoint (rounds merged), latencies in ms."""
    header = ["workload", "endpoint", "ops/s", "vs first", "MB/s", "p50", "p90", "p99", "p99.9", "max",
              "errors", "client CPU%", "server CPU%", "server RSS"]
    rows = [header]
    for m, ratio in summarise(results):
        p = m.histogram.percentiles()
        rows.append([
            m.workload, m.endpoint, f"{m.ops_per_s:,.0f}", f"{ratio:.2f}x" if ratio is not None else "-",
            f"{m.mb_per_s:,.1f}", _ms(p["p50"]), _ms(p["p90"]), _ms(p["p99"]), _ms(p["p99.9"]), _ms(p["max"]),
            _errors(m.error_codes) if m.errors else "0",
            f"{m.client_cpu_pct:.0f}" if m.client_cpu_pct is not None else "-",
            f"{m.server_cpu_pct:.0f}" if m.server_cpu_pct is not None else "-",
            f"{m.server_rss / (1 << 20):.0f} MiB" if m.server_rss is not None else "-",
        ])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("latencies in ms; MB/s counts bytes on the wire both ways; vs first: ops/s ratio to the first endpoint")
    return "\n".join(lines)


def to_json(results: list[RunResult], config: dict[str, Any]) -> dict[str, Any]:
    """Everything measured: each round, and the merged summary with ratios."""
    summary = []
    for m, ratio in summarise(results):
        entry = m.to_dict()
        entry.pop("round")
        entry["ops_ratio_to_first"] = ratio
        summary.append(entry)
    return {"tool": "pycloud bench", "config": config, "runs": [r.to_dict() for r in results], "summary": summary}


# --- plot -----------------------------------------------------------------------------------------


def plot(results: list[RunResult], path: str) -> None:
    """A PNG: throughput over time per endpoint (one panel per workload) and the latency
    distribution (percentile plot, log scales)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("--plot needs matplotlib: pip install 'pycloud[bench]'") from None
    summaries = summarise(results)
    workloads = list(dict.fromkeys(m.workload for m, _ in summaries))
    fig, axes = plt.subplots(len(workloads), 2, figsize=(13, 4.2 * len(workloads)), squeeze=False)
    for row, name in enumerate(workloads):
        ax_t, ax_l = axes[row]
        for r in results:
            if r.workload != name or not r.timeline:
                continue
            xs = [(i + 1) * r.window_s for i in range(len(r.timeline))]
            ys = [c / r.window_s for c, _ in r.timeline]
            suffix = f" (round {r.round + 1})" if any(x.round for x in results) else ""
            ax_t.plot(xs, ys, label=f"{r.endpoint}{suffix}", linewidth=1)
        ax_t.set_title(f"{name}: throughput over time")
        ax_t.set_xlabel("seconds")
        ax_t.set_ylabel("ops/s")
        ax_t.grid(alpha=0.3)
        ax_t.legend(fontsize=8)
        for m, _ in summaries:
            if m.workload != name or not m.histogram.count:
                continue
            xs, ys = _percentile_curve(m.histogram)
            ax_l.plot(xs, ys, label=m.endpoint, linewidth=1.2)
        ax_l.set_xscale("log")
        ax_l.set_yscale("log")
        ticks = [1, 2, 10, 100, 1000, 10000]
        ax_l.set_xticks(ticks)
        ax_l.set_xticklabels(["0%", "50%", "90%", "99%", "99.9%", "99.99%"])
        ax_l.set_title(f"{name}: latency by percentile")
        ax_l.set_ylabel("ms")
        ax_l.grid(alpha=0.3, which="both")
        ax_l.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    plt.close(fig)


def _percentile_curve(h: Histogram) -> tuple[list[float], list[float]]:
    """x = 1 / (1 - percentile) (so 99 % sits at 100), y = latency in ms."""
    xs: list[float] = [1.0]
    ys: list[float] = [max(h.min, 1) / 1e6]
    for fraction, value in h.distribution():
        xs.append(1.0 / max(1.0 - fraction, 1e-5))
        ys.append(max(value, 1) / 1e6)
    return xs, ys
