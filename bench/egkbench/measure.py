"""The parent side of a measurement: start a child, wait for it, read its time and peak memory.

Why wait4: `resource.getrusage(RUSAGE_CHILDREN)` keeps the maximum over every child ever
waited for, so it cannot tell steps apart; `os.wait4` returns the rusage of exactly the one
child (its ru_maxrss is the peak resident set of that process, in KiB on Linux).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent


class StepFailed(RuntimeError):
    """A measured child exited with an error; the message names the step and its stderr tail."""


@dataclass
class Measurement:
    """One step at one scale: every run's seconds, the process's peak RSS, and what it reported."""

    step: str
    seconds: list[float]
    peak_rss_mib: float
    wall_seconds: float
    info: dict = field(default_factory=dict)
    cpu_seconds: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def first(self) -> float:
        return self.seconds[0]

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu_seconds) if self.cpu_seconds else None

    def as_dict(self) -> dict:
        return {"step": self.step, "seconds": self.seconds, "median": self.median, "peak_rss_mib": self.peak_rss_mib,
                "wall_seconds": self.wall_seconds, "info": self.info, "cpu_seconds": self.cpu_seconds,
                "cpu_median": self.cpu_median}


def run_command(argv: list[str], log: Path, env: dict | None = None, timeout: float | None = None):
    """Run argv with stdout/stderr to `log` files.

    Returns (exit status, wall seconds, peak RSS MiB, stdout, CPU seconds of the whole process).
    """
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, env={**os.environ, **(env or {})})
        status, rusage = _wait(proc, timeout)
        wall = time.perf_counter() - began
    cpu = rusage.ru_utime + rusage.ru_stime
    return status, wall, rusage.ru_maxrss / 1024, out.read_text(encoding="utf-8", errors="replace"), cpu


def _wait(proc: subprocess.Popen, timeout: float | None):
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG if deadline else 0)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage
        time.sleep(0.05)


def run_step(step: str, params: dict, work: Path) -> Measurement:
    """Run `egkbench.steps` STEP in a fresh interpreter; raises StepFailed on a non-zero exit."""
    result = work / f"{step}.result.json"
    result.unlink(missing_ok=True)
    params = {**params, "result": str(result)}
    argv = [sys.executable, "-m", "egkbench.steps", step, json.dumps(params)]
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")]))}
    status, wall, rss, _, _ = run_command(argv, work / f"{step}.log", env=env)
    if status != 0 or not result.is_file():
        tail = (work / f"{step}.err").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise StepFailed(f"step {step} failed (status {status}): {' | '.join(tail)}")
    info = json.loads(result.read_text(encoding="utf-8"))
    seconds = info.pop("seconds")
    info.pop("peak_rss_kib", None)
    cpu = info.pop("cpu_seconds", [])
    info["load_1m"] = os.getloadavg()[0]  # how busy the shared machine was as the step ended
    return Measurement(step, seconds, rss, wall, info, cpu)
