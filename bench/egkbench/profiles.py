"""Where the time goes when a target is missed: pyinstrument over the step, kept with the results.

Why in the benchmark: issue 7 asks that a missed target be profiled and its cause named. Doing it
in the same run, on the same data, right after the figures, keeps the profile and the verdict
together in RESULTS.md, so the owner of the code starts from evidence, not from a guess.
The profiled call runs once more in its own process (child side here, started by `suite`);
only frames taking at least THRESHOLD of the total are kept.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

THRESHOLD = 0.03
_LINE = re.compile(r"^[\s|`-]*([0-9]+\.[0-9]+) ")


def _profiled(fn) -> tuple[str, float]:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.002)
    profiler.start()
    fn()
    session = profiler.stop()
    text = profiler.output_text(unicode=False, color=False, show_all=False)
    return _trim(text, session.duration), session.duration


def _trim(text: str, total: float) -> str:
    """Only the frames that matter: at least THRESHOLD of the total; the banner dropped."""
    keep = []
    for line in text.splitlines():
        match = _LINE.match(line)
        if match and float(match.group(1)) >= THRESHOLD * total:
            keep.append(line.rstrip())
    return "\n".join(keep)


def _dates(p: dict) -> tuple[dt.date, dt.date, dt.date]:
    return tuple(dt.date.fromisoformat(p[k]) for k in ("as_of", "period_from", "period_to"))


def profile_obligations(p: dict, parsed) -> dict:
    from egenkontroll.core.obligations import evaluate

    as_of, _, _ = _dates(p)
    evaluate(parsed.events, as_of)  # warm: the profile shows the steady state, as the median does
    text, seconds = _profiled(lambda: evaluate(parsed.events, as_of))
    return {"profile": text, "seconds": [seconds]}


def profile_figure(p: dict, parsed) -> dict:
    from egkbench.reference import egenkontroll_figure

    as_of, pf, pt = _dates(p)
    egenkontroll_figure(parsed, as_of, pf, pt)
    text, seconds = _profiled(lambda: egenkontroll_figure(parsed, as_of, pf, pt))
    return {"profile": text, "seconds": [seconds]}


def profile_import(p: dict) -> dict:
    """`run_import` in-process into the scratch database p["db"] (emptied by the parent)."""
    os.environ.update(p["env"])
    from egenkontroll.cases.store import connect

    alias = connect(p["db"])
    from egenkontroll.cases.importer import run_import

    text, seconds = _profiled(lambda: run_import(Path(p["dataset"]), using=alias))
    return {"profile": text, "seconds": [seconds]}


def profile_page(p: dict) -> dict:
    """The slowest page, requested once as the role that was slowest, with the test client."""
    os.environ.update(p["env"])
    from egenkontroll.cases.store import connect

    connect(p["db"])
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=p["username"]))
    client.get(p["path"])
    text, seconds = _profiled(lambda: client.get(p["path"]))
    return {"profile": text, "seconds": [seconds]}
