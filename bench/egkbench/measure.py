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


class MemoryCapReached(StepFailed):
    """A measured child was stopped because its memory passed the cap (the machine is shared)."""

    def __init__(self, message: str, peak_rss_mib: float, seconds: float):
        super().__init__(message)
        self.peak_rss_mib = peak_rss_mib
        self.seconds = seconds


# Stop a child when the machine has less than this left for everyone else (MemAvailable).
MIN_AVAILABLE_MIB = 2048


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


def run_command(argv: list[str], log: Path, env: dict | None = None, timeout: float | None = None,
                max_rss_mib: float | None = None, read_stdout: bool = True):
    """Run argv with stdout/stderr to `log` files.

    Returns (exit status, wall seconds, peak RSS MiB, stdout, CPU seconds of the whole process).
    With `max_rss_mib` the child is killed (MemoryCapReached) once its resident set passes that
    many MiB or the machine has less than MIN_AVAILABLE_MIB left; `read_stdout=False` leaves a large
    output (the obligations CSV) in its file instead of reading it into this process.
    """
    out, err = log.with_suffix(".out"), log.with_suffix(".err")
    with open(out, "wb") as fo, open(err, "wb") as fe:
        began = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=fo, stderr=fe, env={**os.environ, **(env or {})})
        status, rusage, capped = _wait(proc, timeout, max_rss_mib)
        wall = time.perf_counter() - began
    cpu = rusage.ru_utime + rusage.ru_stime
    if capped:
        raise MemoryCapReached(capped, rusage.ru_maxrss / 1024, wall)
    stdout = out.read_text(encoding="utf-8", errors="replace") if read_stdout else ""
    return status, wall, rusage.ru_maxrss / 1024, stdout, cpu


def _wait(proc: subprocess.Popen, timeout: float | None, max_rss_mib: float | None = None):
    """(exit status, rusage, why it was stopped for memory or "") of the child, polling when capped."""
    deadline = None if timeout is None else time.monotonic() + timeout
    polling = deadline is not None or max_rss_mib is not None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG if polling else 0)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage, ""
        capped = _over_memory(proc.pid, max_rss_mib) if max_rss_mib is not None else ""
        if capped or (deadline is not None and time.monotonic() > deadline):
            proc.kill()
            pid, status, rusage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return proc.returncode, rusage, capped
        time.sleep(0.05)


def _over_memory(pid: int, max_rss_mib: float) -> str:
    """Why the child must stop now ("" while it may go on): its RSS or the machine's free memory."""
    rss = _status_kib(f"/proc/{pid}/status", "VmRSS:") / 1024
    if rss > max_rss_mib:
        return f"stopped at {rss:.0f} MiB resident (cap {max_rss_mib:.0f} MiB)"
    available = _status_kib("/proc/meminfo", "MemAvailable:") / 1024
    if available and available < MIN_AVAILABLE_MIB:
        return f"stopped at {rss:.0f} MiB resident: the machine had {available:.0f} MiB left"
    return ""


def _status_kib(path: str, key: str) -> int:
    try:
        with open(path, encoding="ascii") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_step(step: str, params: dict, work: Path, max_rss_mib: float | None = None) -> Measurement:
    """Run `egkbench.steps` STEP in a fresh interpreter; raises StepFailed on a non-zero exit
    (MemoryCapReached when it was stopped at `max_rss_mib`)."""
    result = work / f"{step}.result.json"
    result.unlink(missing_ok=True)
    params = {**params, "result": str(result)}
    argv = [sys.executable, "-m", "egkbench.steps", step, json.dumps(params)]
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH_DIR), os.environ.get("PYTHONPATH")]))}
    status, wall, rss, _, _ = run_command(argv, work / f"{step}.log", env=env, max_rss_mib=max_rss_mib)
    if status != 0 or not result.is_file():
        tail = (work / f"{step}.err").read_text(encoding="utf-8", errors="replace").strip().splitlines()[-5:]
        raise StepFailed(f"step {step} failed (status {status}): {' | '.join(tail)}")
    info = json.loads(result.read_text(encoding="utf-8"))
    seconds = info.pop("seconds")
    info.pop("peak_rss_kib", None)
    cpu = info.pop("cpu_seconds", [])
    info["load_1m"] = os.getloadavg()[0]  # how busy the shared machine was as the step ended
    return Measurement(step, seconds, rss, wall, info, cpu)
