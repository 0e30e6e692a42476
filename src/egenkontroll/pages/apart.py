"""A waiting page's figures computed apart from the server, at low CPU priority (issue 19).

Why: a period nobody asked for before costs seconds of CPU at city scale (its as_of day
evaluated, every figure of the tree). Computed on a thread of a server process (pending.py), it
competed on equal terms with every other user's page for the machine's two cores, and polars
ran both on the same thread pool of that process. Here each server process's background thread
keeps one helper, `python -m egenkontroll.pages.apart NICE`, which lowers its own priority to
NICE, sets Django up and imports every view once, then waits for jobs on standard input (one JSON
line each: an address, its query string, a user id). For each job it forks a copy of itself that
builds the page once — the view's own access check included, nothing logged, nothing shown —
which writes every table it computes to the shared disk cache, and exits; the helper answers one
JSON line (exit status, the copy's priority and time). The server's thread then builds the page
from those files. The operating system gives the pages the CPU first and the computation what is
left.

Why a fork per job: a fresh interpreter paid 2–3 s of start (Django, every view module, the
key-figure catalogue) before each computation of 3 s, and one process kept between jobs would
hold the events and evaluations in memory in each of the server's processes. The fork starts
with all of that imported and ends with the job, its memory returned. Polars may not be forked
once its thread pool has started (its threads are not copied, their locks may be held): the
helper never runs a polars computation itself, and it refuses to fork if the pool's threads
exist (exit status 4; the server then computes on its thread, as without the helper).

EGK_PAGE_JOBS jobs at a time per cache folder (default one; a lock file per slot there), so a
burst of new periods on four server processes never holds four copies of the events in memory.
The helper ends when its server process does (standard input closes).

`ask` is the server's side: it starts the helper when there is none, sends a job, waits for the
answer (at most JOB_SECONDS_MAX, then the helper and its fork are stopped), and says None
whenever the server's thread should compute the page itself.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import select
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

logger = logging.getLogger(__name__)

HELPER = [sys.executable, "-m", "egenkontroll.pages.apart"]
JOB_BYTES_MAX = 8_192  # an address, its query string and a user id
JOB_SECONDS_MAX = 10 * 60  # a national period takes a minute or two; a job stuck this long is stopped
ANSWER_BYTES_MAX = 4_096
JOBS_VARIABLE = "EGK_PAGE_JOBS"  # how many jobs compute at once, over all the server's processes
JOBS_MAX = 8
POOL_STARTED = 4  # exit status: polars' thread pool runs in the helper, so it may not fork


def main(argv: list[str]) -> int:
    nice = int(argv[0])
    if not 0 <= nice <= 19:
        raise SystemExit(f"nice ska vara 0–19, inte {nice}")
    os.setpriority(os.PRIO_PROCESS, 0, nice)  # its forks, and the threads polars starts in them, inherit it
    _prepare()
    while line := sys.stdin.readline(JOB_BYTES_MAX):
        if _pool_started():
            return POOL_STARTED
        answer = _forked(json.loads(line))
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()
    return 0


def _prepare() -> None:
    """Everything every job needs that is not data: Django, every view module, the catalogue, the
    calendar's holiday tables (0.3 s of each job when a fork loaded them)."""
    import datetime as dt

    from django.db import connections
    from django.urls import get_resolver

    from egenkontroll.cases.store import connect
    from egenkontroll.core import calendar, kpi_catalogue

    connect()
    get_resolver().url_patterns  # noqa: B018 - imports every view module
    kpi_catalogue.configured_catalogue()
    calendar.holiday_names(dt.date.today().year)
    connections.close_all()  # each fork opens its own


def _pool_started() -> bool:
    """Whether polars' worker threads ("polars-0", …) run in this process (forking would copy their locks)."""
    for task in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{task}/comm") as comm:
                name = comm.read().strip()
        except OSError:
            continue
        if name.startswith("polars-") and name[7:].isdigit():
            return True
    return False


def _forked(job: dict) -> dict:
    """Run `job` in a fork of this process; its exit status and what it reported."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: compute, report, and leave without running the helper's exit handlers
        os.close(read_end)
        quiet = os.open(os.devnull, os.O_RDWR)
        os.dup2(quiet, 0)
        os.dup2(quiet, 1)  # nothing it prints can be taken for the helper's answer
        status = 1
        try:
            started = time.monotonic()
            _locked_compute(job)
            report = {"nice": os.getpriority(os.PRIO_PROCESS, 0), "seconds": round(time.monotonic() - started, 3)}
            os.write(write_end, json.dumps(report).encode())
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as reader:
        reported = reader.read(ANSWER_BYTES_MAX)
    _, wait_status = os.waitpid(pid, 0)
    status = os.waitstatus_to_exitcode(wait_status)
    return {"status": status, **(json.loads(reported) if status == 0 and reported else {})}


def _locked_compute(job: dict) -> None:
    from egenkontroll.pages import snapshot

    root = snapshot.cache_root()
    if root is None:
        raise SystemExit("EGK_WEB_CACHE_DIR saknas: det som räknas fram här skulle inte sparas")
    root.mkdir(parents=True, exist_ok=True)
    with _slot(root):
        compute(job["path"], job["query"], job["user"])


def jobs() -> int:
    """EGK_PAGE_JOBS: how many new periods compute at once (1–8, default 1: each holds a copy of the events)."""
    from egenkontroll.web.env import envint

    return envint(JOBS_VARIABLE, 1, low=1, high=JOBS_MAX)


@contextmanager
def _slot(root: Path):
    """One of the EGK_PAGE_JOBS places to compute in, shared by every server process's helper: a
    free one at once, else the wait for one (which one depends on the process, to spread them)."""
    slots = jobs()
    for number in range(slots):
        with open(root / f"apart-{number}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield
            return
    with open(root / f"apart-{os.getpid() % slots}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def compute(path: str, query: str, user_id: int) -> None:
    """Build the page at `path?query` for the user, keeping what it computes; the page is thrown away."""
    from django.contrib.auth import get_user_model
    from django.http import QueryDict
    from django.test import RequestFactory
    from django.urls import resolve

    from egenkontroll.pages import pending

    request = RequestFactory().get(path, QueryDict(query))
    request.user = get_user_model().objects.get(pk=user_id, is_active=True)
    match = resolve(path)
    with pending.computing_only():
        match.func(request, *match.args, **match.kwargs)


_helper: subprocess.Popen | None = None  # this server process's helper; asked by its one background thread only


def ask(nice: int, job: dict) -> dict | None:
    """The helper's answer to `job` (the helper started at `nice` if it is not running), or None
    when it gave none: the server's thread then computes the page itself."""
    global _helper
    line = json.dumps(job)
    if len(line.encode()) >= JOB_BYTES_MAX:
        return None  # an address nobody's link makes
    if _helper is None or _helper.poll() is not None:
        try:
            _helper = subprocess.Popen(  # noqa: S603 - our own interpreter and module; jobs go on stdin
                [*HELPER, str(nice)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                text=True, start_new_session=True,  # its own process group: stopped with its forks
            )
        except OSError as exc:
            logger.warning("the helper computing figure pages could not start (%s); computed here", type(exc).__name__)
            return None
    helper = _helper
    try:
        helper.stdin.write(line + "\n")
        helper.stdin.flush()
        ready, _, _ = select.select([helper.stdout], [], [], JOB_SECONDS_MAX)
        said = helper.stdout.readline(ANSWER_BYTES_MAX) if ready else None
    except OSError:
        said = ""
    if said is None:
        logger.warning("a figure page took over %d s apart: the helper is stopped; computed here", JOB_SECONDS_MAX)
        _stop(helper)
        return None
    if not said:
        _stop(helper)
        logger.warning("the helper computing figure pages ended (exit %s); computed here", helper.returncode)
        return None
    try:
        answer = json.loads(said)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        logger.warning("the helper computing figure pages said nothing readable; computed here")
        _stop(helper)
        return None
    return answer


def _stop(helper: subprocess.Popen) -> None:
    """The helper and its fork (its process group) killed and reaped."""
    global _helper
    try:
        os.killpg(helper.pid, signal.SIGKILL)
    except OSError:
        pass  # ended already
    helper.wait()
    if _helper is helper:
        _helper = None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
