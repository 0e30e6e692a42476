"""A waiting page's figures computed in a child process at low CPU priority (issue 19).

Why: a period nobody asked for before costs seconds of CPU at city scale (its as_of day
evaluated, every figure of the tree). Computed on a thread of a server process (pending.py), it
competed on equal terms with every other user's page for the machine's two cores, and polars
ran both on the same thread pool of that process. Here the server's background thread starts `python -m egenkontroll.pages.apart NICE`,
which lowers its own priority to NICE before it imports anything, builds the page once (the
figures it makes are written to the shared disk cache, snapshot.py) and exits; the server's
thread then builds the page from those files. The operating system gives the pages' CPU first
and the computation what is left.

One child at a time per cache folder (a lock file there), so a burst of new periods on four
workers never holds four copies of the events in memory. The job is a user id and an address on
standard input; the child checks the user's access again (the view's own decorator) and logs
nothing: it shows nobody anything, the page the user sees is built by the server and logged there.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time

JOB_BYTES_MAX = 8_192  # an address, its query string and a user id
LOCK_NAME = "apart.lock"


def main(argv: list[str]) -> int:
    nice = int(argv[0])
    if not 0 <= nice <= 19:
        raise SystemExit(f"nice ska vara 0–19, inte {nice}")
    os.setpriority(os.PRIO_PROCESS, 0, nice)  # before polars starts its threads: they inherit it
    job = json.loads(sys.stdin.read(JOB_BYTES_MAX))
    from egenkontroll.cases.store import connect

    connect()
    from egenkontroll.pages import snapshot

    root = snapshot.cache_root()
    if root is None:
        raise SystemExit("EGK_WEB_CACHE_DIR saknas: det som räknas fram här skulle inte sparas")
    root.mkdir(parents=True, exist_ok=True)
    with open(root / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = time.monotonic()
        compute(job["path"], job["query"], job["user"])
    print(json.dumps({"nice": os.getpriority(os.PRIO_PROCESS, 0), "seconds": round(time.monotonic() - started, 3)}))
    return 0


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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
