"""Progress display: bars on a terminal, plain periodic lines in CI logs, a verdict table at the end.

The engine has no step callback, so progress counts finished training tasks (seed chunks).
"""
from __future__ import annotations

import sys
import time
from typing import TextIO

MAX_BARS = 8     # running experiments shown at once on a terminal
BAR_WIDTH = 24


def bar(done: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "-" * (width - filled)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds), 60)
    return f"{m}m{s:02d}s" if m else f"{s}s"


class Progress:
    """Reports task completion to `stream` (stderr by default).

    tty=None detects a terminal; on one, a bar per running experiment plus an overall bar are
    redrawn in place. Otherwise a plain line is printed when an experiment finishes and at most
    every `interval` seconds in between. enabled=False prints nothing.
    """

    def __init__(self, stream: TextIO | None = None, *, enabled: bool = True, tty: bool | None = None,
                 interval: float = 10.0):
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = (hasattr(self.stream, "isatty") and self.stream.isatty()) if tty is None else tty
        self.interval = interval
        self.totals: dict[str, int] = {}
        self.done: dict[str, int] = {}
        self.failed: set[str] = set()
        self._drawn = 0
        self._last = 0.0
        self._t0 = time.perf_counter()

    def _write(self, text: str) -> None:
        if self.enabled:
            self.stream.write(text)
            self.stream.flush()

    def log(self, message: str) -> None:
        self._clear()
        self._write(message + "\n")
        self._draw()

    def begin(self, experiments: dict[str, int], cached: int = 0, resumed: int = 0) -> None:
        """experiments: label -> number of tasks (seed chunks) of each experiment not in the cache;
        cached: whole experiments found in the cache; resumed: chunks found there (a killed run's)."""
        self.totals = dict(experiments)
        self.done = {label: 0 for label in experiments}
        self._t0 = self._last = time.perf_counter()
        n = sum(self.totals.values()) - resumed
        again = f", {resumed} task(s) resumed from an interrupted run" if resumed else ""
        self.log(f"[repro] {len(experiments)} experiment(s) to train in {n} task(s); "
                 f"{cached} found in the cache{again}")

    def advance(self, label: str, failed: bool = False) -> None:
        self.done[label] = self.done.get(label, 0) + 1
        if failed:
            self.failed.add(label)
        if self.tty:
            self._clear()
            self._draw()
            return
        finished = self.done[label] == self.totals.get(label, 0)
        now = time.perf_counter()
        if finished or failed or now - self._last >= self.interval:
            self._last = now
            state = "FAILED" if label in self.failed else ("done" if finished else "running")
            self._write(f"[repro] {self._overall()} | {state}: {label}\n")

    def _overall(self) -> str:
        total, done = sum(self.totals.values()), sum(self.done.values())
        pct = 100 * done / total if total else 100
        return f"{done}/{total} tasks ({pct:.0f}%), {_clock(time.perf_counter() - self._t0)} elapsed"

    def _draw(self) -> None:
        if not (self.tty and self.totals):
            return
        running = [lab for lab, n in self.totals.items() if self.done.get(lab, 0) < n][:MAX_BARS]
        total, done = sum(self.totals.values()), sum(self.done.values())
        lines = [f"  [{bar(self.done[lab], self.totals[lab])}] {self.done[lab]}/{self.totals[lab]} {lab[:60]}"
                 for lab in running]
        lines.append(f"all [{bar(done, total)}] {self._overall()}")
        self._write("\n".join(lines) + "\n")
        self._drawn = len(lines)

    def _clear(self) -> None:
        if self.tty and self._drawn:
            self._write(f"\x1b[{self._drawn}A\x1b[J")  # cursor up over the bars, erase to the end
            self._drawn = 0

    def end(self) -> None:
        if self.tty:
            self._clear()
        if self.totals:
            self._write(f"[repro] training finished: {self._overall()}\n")


def summary_table(run) -> str:
    """The verdicts of a RunResult as a fixed-width text table."""
    rows = [("claim", "verdict", "recorded", "primary estimate [CI]", "seeds", "p_adj")]
    for cr in run.claims:
        if cr.tests:
            t = cr.tests[0]
            est = f"{t.estimate:.3g} [{t.ci[0]:.3g}, {t.ci[1]:.3g}]"
            p = "-" if t.p_adjusted is None or t.p_adjusted != t.p_adjusted else f"{t.p_adjusted:.3g}"
            n = str(t.n_seeds)
        else:
            est, p, n = "-", "-", "-"
        rec = cr.claim.recorded.verdict if cr.claim.recorded else "(none)"
        rows.append((cr.claim.id, cr.verdict, rec, est, n, p))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if run.profile == "quick":
        lines.append("(quick profile: smoke test, verdicts are not confirmatory)")
    return "\n".join(lines)
