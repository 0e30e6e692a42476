"""A page whose figures nobody asked for before: computed in the background, the page answering at once.

Why it exists (issue 19): the figures of a new period cost seconds at city scale (the
obligations evaluated on its day, every figure of the tree, a month of a trend each). Computed
inside the request, twenty users asking for new periods made as many computations fight for two
cores, and everybody's pages — not only theirs — waited until the load test gave up after 30 s.

Here a figure page is first built from kept frames only (`snapshot.only_kept`): if everything it
needs is in memory or on disk, that build is the page, at no extra cost. If a frame is missing,
the same build runs on this process's one background thread instead, and the page waits for it
a moment (`EGK_PAGE_WAIT_SECONDS`); not ready by then, it answers with a short "räknas fram"
page that asks again every two seconds until the page can be shown. Every other page stays fast.

Unset (the default outside `egenkontroll serve` and `demo`), pages compute inline as before.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from egenkontroll.pages import periods, snapshot
from egenkontroll.web.env import envstr

WAIT_VARIABLE = "EGK_PAGE_WAIT_SECONDS"
RELOAD_SECONDS = 2
QUEUED_MAX = 32  # distinct pages waiting in one process; more are answered "räknas fram" and queued when asked again
# A queued page nobody has asked for this long (the waiting page asks every RELOAD_SECONDS) is
# dropped when its turn comes: the user went elsewhere, and the next ones should not wait for it.
ABANDONED_SECONDS = 5 * RELOAD_SECONDS

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="egk-page")
_jobs: dict[tuple, Future] = {}
_asked: dict[tuple, float] = {}  # key → when a page last asked for it (time.monotonic)
_lock = threading.Lock()


class Waiting:
    """What `build` returns when the page's figures are still being computed."""


WAITING = Waiting()


def wait_seconds() -> float | None:
    """How long a page waits for its figures before the "räknas fram" page; None: computed inline."""
    raw = envstr(WAIT_VARIABLE).strip()
    if not raw:
        return None
    seconds = float(raw)
    if seconds < 0:
        raise ValueError(f"{WAIT_VARIABLE} ska vara ett antal sekunder (0 eller mer), inte {raw!r}")
    return seconds


def build(request, make: Callable):
    """`make(request)` — from kept frames at once, else computed in the background: then WAITING
    unless it finishes within the wait."""
    wait = wait_seconds()
    if wait is None:
        return make(request)
    try:
        with snapshot.only_kept():
            return make(request)
    except snapshot.NotKept:
        pass
    job = _submit(request, make)
    if job is None:
        return WAITING
    try:
        job.result(timeout=wait)
    except FutureTimeout:
        return WAITING
    except Exception:  # noqa: BLE001, S110 - the page is built inline below and shows its own error
        pass
    return make(request)


def _submit(request, make: Callable) -> Future | None:
    """The (single) job building this page in this process; None when too many wait already."""
    key = (snapshot.current().version, request.path, request.GET.urlencode(), request.user.pk)
    with _lock:
        _asked[key] = time.monotonic()
        job = _jobs.get(key)
        if job is not None:
            return job
        if sum(not j.done() for j in _jobs.values()) >= QUEUED_MAX:
            return None
        job = _executor.submit(_compute, request, make, key)
        _jobs[key] = job
        job.add_done_callback(lambda _: _forget(key))
        return job


def _forget(key: tuple) -> None:
    with _lock:
        _jobs.pop(key, None)
        _asked.pop(key, None)


def _compute(request, make: Callable, key: tuple) -> None:
    """The page's build, computing what it needs (kept for the next request); the page is thrown away."""
    from django.db import connections

    with _lock:
        abandoned = time.monotonic() - _asked.get(key, 0.0) > ABANDONED_SECONDS
    if abandoned:
        return
    try:
        make(request)
    finally:
        connections.close_all()  # this thread's own connections: none left open between jobs


def page(request, make: Callable, current: str, show: Callable, scenario: bool = False):
    """`show(data)` of what `make(request)` builds, or the waiting page while it is computed.

    `scenario`: the page computes a planning scenario, not a period's figures (the waiting page says so).
    """
    data = build(request, make)
    return response(request, current, scenario) if data is WAITING else show(data)


def response(request, current: str, scenario: bool = False):
    """The page that says the figures (or the scenario) are being computed, and asks again until they are."""
    from egenkontroll.pages.frame import render_app_page

    period = periods.parse(request.GET, periods.today())
    title = "Scenariot räknas fram" if scenario else "Nyckeltalen räknas fram"
    page = render_app_page(request, "pages/beraknas.html", title, {
        "period": period, "scenario": scenario, "reload_seconds": RELOAD_SECONDS,
        "again_url": request.get_full_path(),
    }, current)
    page["Cache-Control"] = "no-store"
    page["Retry-After"] = str(RELOAD_SECONDS)
    return page
