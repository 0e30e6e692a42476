"""A period nobody asked for before: its figures computed in the background, the page answering at once.

Why it exists (issue 19): the figures of a new period cost seconds at city scale (the
obligations evaluated on its day, then every figure of the tree). Computed inside the request,
twenty users asking for twenty new periods made twenty such computations fight for two cores,
and everybody's pages — not only theirs — waited until the proxy gave up. Here each server
process computes new periods one at a time on its own thread; the page waits for it a moment
(`EGK_PAGE_WAIT_SECONDS`) and, if the figures are not ready by then, answers with a short
"räknas fram" page that reloads itself until they are. Every other page stays fast meanwhile.

Unset (the default outside `egenkontroll serve` and `demo`), the page computes inline as before.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from egenkontroll.pages import periods, snapshot
from egenkontroll.web.env import envstr

WAIT_VARIABLE = "EGK_PAGE_WAIT_SECONDS"
RELOAD_SECONDS = 2
QUEUED_MAX = 32  # distinct new periods waiting in one process; more are asked to come back later
# A queued period nobody has asked for this long (the waiting page asks every RELOAD_SECONDS) is
# dropped when its turn comes: the user went elsewhere, and the next ones should not wait for it.
ABANDONED_SECONDS = 5 * RELOAD_SECONDS

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="egk-period")
_jobs: dict[tuple, Future] = {}
_asked: dict[tuple, float] = {}  # key → when a page last asked for it (time.monotonic)
_lock = threading.Lock()


def wait_seconds() -> float | None:
    """How long a page waits for a new period's figures before the "räknas fram" page; None: inline."""
    raw = envstr(WAIT_VARIABLE).strip()
    if not raw:
        return None
    seconds = float(raw)
    if seconds < 0:
        raise ValueError(f"{WAIT_VARIABLE} ska vara ett antal sekunder (0 eller mer), inte {raw!r}")
    return seconds


def ready(request) -> periods.Period | None:
    """None when the page may be built now; else the period whose figures are still being computed."""
    wait = wait_seconds()
    if wait is None:
        return None
    period = periods.parse(request.GET, periods.today())
    snap = snapshot.current()
    if snap.has_figures(period.start, period.end, period.as_of):
        return None
    job = _submit(snap, period)
    if job is None:
        return period
    try:
        job.result(timeout=wait)
    except FutureTimeout:
        return period
    except Exception:  # noqa: BLE001 - the page computes inline and shows its own error
        return None
    return None


def _submit(snap: snapshot.Snapshot, period: periods.Period) -> Future | None:
    """The (single) job computing this period's figures in this process; None when too many wait."""
    key = (snap.version, period.start, period.end, period.as_of)
    with _lock:
        _asked[key] = time.monotonic()
        job = _jobs.get(key)
        if job is not None:
            return job
        if sum(not j.done() for j in _jobs.values()) >= QUEUED_MAX:
            return None
        job = _executor.submit(_compute, snap, period, key)
        _jobs[key] = job
        job.add_done_callback(lambda _: _forget(key))
        return job


def _forget(key: tuple) -> None:
    with _lock:
        _jobs.pop(key, None)
        _asked.pop(key, None)


def _compute(snap: snapshot.Snapshot, period: periods.Period, key: tuple) -> None:
    from django.db import close_old_connections

    with _lock:
        abandoned = time.monotonic() - _asked.get(key, 0.0) > ABANDONED_SECONDS
    if abandoned:
        return
    try:
        snap.figures(period.start, period.end, period.as_of)
    finally:
        close_old_connections()  # this thread's own database connection


def response(request, period: periods.Period, current: str):
    """The page that says the figures are being computed, and reloads itself until they are."""
    from egenkontroll.pages.frame import render_app_page

    page = render_app_page(request, "pages/beraknas.html", "Nyckeltalen räknas fram", {
        "period": period, "reload_seconds": RELOAD_SECONDS, "again_url": request.get_full_path(),
    }, current)
    page["Cache-Control"] = "no-store"
    page["Retry-After"] = str(RELOAD_SECONDS)
    return page
