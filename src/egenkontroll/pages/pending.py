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

With EGK_PAGE_NICE (0–19; `serve` and `demo` set 19) the background thread has its helper process
compute a figure page at that lower CPU priority first (pages/apart.py), then builds the page from
the files it kept: the pages of everybody else get the CPU first. A helper that fails leaves the
work to the thread, as without the setting.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager

from egenkontroll.pages import apart, periods, snapshot
from egenkontroll.web.env import envint, envstr

logger = logging.getLogger(__name__)

WAIT_VARIABLE = "EGK_PAGE_WAIT_SECONDS"
NICE_VARIABLE = "EGK_PAGE_NICE"
RELOAD_SECONDS = 2
QUEUED_MAX = 32  # distinct pages waiting in one process; more are answered "räknas fram" and queued when asked again
# A queued page nobody has asked for this long (the waiting page asks every RELOAD_SECONDS) is
# dropped when its turn comes: the user went elsewhere, and the next ones should not wait for it.
ABANDONED_SECONDS = 5 * RELOAD_SECONDS

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="egk-page")
_jobs: dict[tuple, Future] = {}
_asked: dict[tuple, float] = {}  # key → when a page last asked for it (time.monotonic)
_lock = threading.Lock()
_child = threading.local()  # on inside the helper's fork computing a page (pages/apart.py)


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


def nice_level() -> int | None:
    """The CPU priority (niceness) of the helper computing figure pages; None: on the server's thread."""
    if not envstr(NICE_VARIABLE).strip():
        return None
    return envint(NICE_VARIABLE, 0, low=0, high=19)


@contextmanager
def computing_only():
    """Within it (the helper's fork, pages/apart.py), `page` only makes the page's data and shows nothing."""
    _child.on = True
    try:
        yield
    finally:
        _child.on = False


def build(request, make: Callable, by_helper: bool = True):
    """`make(request)` — from kept frames at once, else computed in the background: then WAITING
    unless it finishes within the wait. `by_helper`: the background may hand it to the helper process."""
    wait = wait_seconds()
    if wait is None:
        return make(request)
    try:
        with snapshot.only_kept():
            return make(request)
    except snapshot.NotKept:
        pass
    job, new = _submit(request, make, by_helper)
    if job is None:
        return WAITING
    if not new or (by_helper and nice_level() is not None):
        # Asked again while its job runs (the waiting page asks every two seconds), or handed to the
        # helper process, which computes for seconds in any case: answered at once. Each such wait
        # held a server thread for nothing (0.25 s of every re-ask's 0.31 s, issue 19).
        wait = 0.0
    try:
        job.result(timeout=wait)
    except FutureTimeout:
        return WAITING
    except Exception:  # noqa: BLE001, S110 - the page is built inline below and shows its own error
        pass
    return make(request)


def _submit(request, make: Callable, by_helper: bool) -> tuple[Future | None, bool]:
    """The (single) job building this page in this process, and whether this request started it;
    (None, False) when too many wait already."""
    key = (snapshot.current().version, request.path, request.GET.urlencode(), request.user.pk)
    with _lock:
        _asked[key] = time.monotonic()
        job = _jobs.get(key)
        if job is not None:
            return job, False
        if sum(not j.done() for j in _jobs.values()) >= QUEUED_MAX:
            return None, False
        job = _executor.submit(_compute, request, make, key, by_helper)
        _jobs[key] = job
        job.add_done_callback(lambda _: _forget(key))
        return job, True


def _forget(key: tuple) -> None:
    with _lock:
        _jobs.pop(key, None)
        _asked.pop(key, None)


def _compute(request, make: Callable, key: tuple, by_helper: bool) -> None:
    """The page's build, computing what it needs (kept for the next request); the page is thrown away.
    `by_helper`: the helper process computes it first at low priority, if EGK_PAGE_NICE says so."""
    from django.db import connections

    with _lock:
        abandoned = time.monotonic() - _asked.get(key, 0.0) > ABANDONED_SECONDS
    if abandoned:
        return
    try:
        if by_helper:
            _compute_apart(request)
        make(request)
    finally:
        connections.close_all()  # this thread's own connections: none left open between jobs


def _compute_apart(request) -> None:
    """Have the helper at EGK_PAGE_NICE compute the page into the disk cache (pages/apart.py).

    Only the outcome is logged (no address, no user: the log is no access log)."""
    nice = nice_level()
    if nice is None or snapshot.cache_root() is None or not request.user.is_authenticated:
        return
    started = time.monotonic()
    answer = apart.ask(nice, {"path": request.path, "query": request.GET.urlencode(), "user": request.user.pk})
    if answer is None:
        return
    if answer.get("status") != 0 or not {"nice", "seconds"} <= answer.keys():
        logger.warning("a figure page could not be computed apart (exit %s); computed here", answer.get("status"))
        return
    logger.info("a figure page computed apart at nice %d in %.1f s (%.1f s waiting and starting)",
                answer["nice"], answer["seconds"], time.monotonic() - started - answer["seconds"])


def page(request, make: Callable, current: str, show: Callable, scenario: bool = False, by_helper: bool = True):
    """`show(data)` of what `make(request)` builds, or the waiting page while it is computed.

    `scenario`: the page computes a planning scenario, not a period's figures (the waiting page says so).
    `by_helper`: all that `make` computes is kept on disk (figures), so the helper process may compute it;
    False for pages that keep results in memory only (Underlag's items, Planering's scenarios).
    """
    if getattr(_child, "on", False):
        make(request)
        from django.http import HttpResponse

        return HttpResponse(status=204)
    data = build(request, make, by_helper)
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
