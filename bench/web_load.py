#!/usr/bin/env python3
"""Issue 19: the pages after a restart, under 20 users, and in the browser — one command.

    .venv/bin/python bench/web_load.py --db postgresql://postgres@127.0.0.1:5432/egk_bench \
        --data-dir var --results bench/out/web-load.md [--src main=/path/to/other/checkout/src]

Against a database that `egenkontroll import` has filled (its warm-up ran, with the same
EGK_DATA_DIR), for each source tree given (default: this checkout; `--src LABEL=DIR` adds
another, e.g. main before a change, measured the same way in the same run, side by side):

1. restart: `egenkontroll serve` (gunicorn, deploy's workers and threads) is started afresh on a
   loopback port; the time until it answers, then the first request of every page by one user;
2. load: `--users` sessions log in (roles taken in turn), then each requests its role's pages in
   turn for `--seconds`; every `--new-every`-th request of a user is a figure page for a period
   nobody asked for before (random start and end within the last two years, so a new as_of
   day); p50/p95/max of all requests, of the pages and of the new periods, every non-200 or
   failure an error. Bounded: 20 requests per user-second, 30 s per request. `--think S`: each
   user pauses uniformly 0–2S seconds after each answer, as a person reads a page (default 0: no
   pause, a throughput test — with 20 users and no pause the mean latency is 20 ÷ requests per
   second, whatever the pages cost);
3. browser (`--browser`, Debian's /usr/bin/chromium through Playwright): every page of the
   inspektör loaded until its charts are drawn, first visit in a fresh browser (empty cache) and
   then again (cached), loopback.

Pages are found by following links from the start page, one URL per route. Loopback only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import secrets
import shlex
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))

from egkbench.web import CSRF_INPUT, HREF, SKIP, Session, _free_port, _stop, nearest_rank  # noqa: E402

ROLES = ("inspektor", "enhetschef", "handlaggare", "arbetsledare", "namnd")
FIGURE_PAGES = ("/oversikt/", "/flode/", "/handlaggare/", "/nyckeltal/")
MAX_ROUTES = 40
TARGET_MS = 300.0
BROWSER_TARGET_MS = 500.0
CHROMIUM = Path("/usr/bin/chromium")


def parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="database URL the import filled")
    ap.add_argument("--data-dir", required=True, type=Path, help="EGK_DATA_DIR of that import (its cache)")
    ap.add_argument("--src", action="append", default=[], help="LABEL=DIR of another source tree to measure")
    ap.add_argument("--users", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--new-every", type=int, default=25, help="every n-th request of a user asks a new period")
    ap.add_argument("--think", type=float, default=0.0,
                    help="mean seconds a user reads a page before the next request (uniform 0 … 2×; 0 = none)")
    ap.add_argument("--workers", type=int, default=4, help="gunicorn workers (deploy/systemd: 4)")
    ap.add_argument("--threads", type=int, default=4, help="threads per worker (deploy/systemd: 4)")
    ap.add_argument("--browser", action="store_true", help="also time every page in Chromium")
    ap.add_argument("--seed", type=int, default=None,
                    help="the new periods' random seed (default: a new one each run, written in the results: "
                         "the same seed on the same cache would ask periods an earlier run computed)")
    ap.add_argument("--results", type=Path, default=BENCH / "out" / "web-load.md")
    return ap.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    args.data_dir = args.data_dir.resolve()
    if args.seed is None:
        args.seed = secrets.randbelow(10**6)
        argv = [*argv, "--seed", str(args.seed)]
    sources = [("this", str(REPO / "src"))] + [tuple(s.split("=", 1)) for s in args.src]
    password = secrets.token_urlsafe(18)
    base_env = {
        **os.environ, "DATABASE_URL": args.db, "EGK_DATA_DIR": str(args.data_dir),
        "EGK_WEB_CACHE_DIR": str(args.data_dir / "cache"), "EGK_MFA_REQUIRED": "0", "EGK_LOG_LEVEL": "ERROR",
        "EGK_SECRET_KEY": os.environ.get("EGK_SECRET_KEY") or "bench-" + secrets.token_hex(24),
    }
    args.results.parent.mkdir(parents=True, exist_ok=True)
    users = _demo_users(base_env, password, sources[0][1])
    results = {"command": shlex.join([Path(sys.executable).name, "bench/web_load.py", *argv]),
               "load_before": os.getloadavg(), "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
               "runs": {}}
    for label, src in sources:
        print(f"[web-load] {label}: {src}", flush=True)
        # each tree its own new periods: the same ones would find what the tree before it computed
        tree_args = argparse.Namespace(**{**vars(args), "seed": args.seed + 7919 * sources.index((label, src))})
        results["runs"][label] = measure(label, {**base_env, "PYTHONPATH": src}, users, password, tree_args)
        args.results.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    results["load_after"] = os.getloadavg()
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    args.results.write_text(render(results, args))
    print(args.results.read_text())
    return 0


def _demo_users(env: dict, password: str, src: str) -> dict[str, str]:
    """role → username of the demo users, created (or reset) with `password` in a child process."""
    code = (
        "import json,os\nfrom egenkontroll.cases.store import connect\nconnect(os.environ['DATABASE_URL'])\n"
        "from egenkontroll.access.demo import create_demo_users\n"
        "print(json.dumps({r: u for u, _, r, _ in create_demo_users(password=os.environ['BENCH_PASSWORD'])}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env={**env, "PYTHONPATH": src, "BENCH_PASSWORD": password},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(label: str, env: dict, users: dict[str, str], password: str, args) -> dict:
    port = _free_port()
    argv = [str(Path(sys.executable).with_name("egenkontroll")), "serve", "--db", args.db, "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(args.workers), "--threads", str(args.threads)]
    log = open(args.results.parent / f"serve-{label}.log", "wb")  # noqa: SIM115 - closed in finally
    began = time.monotonic()
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    out: dict = {"server": shlex.join(["egenkontroll", *argv[1:]]).replace(args.db, "URL")}
    try:
        if not _wait_up(port, server):
            out["error"] = "the server did not answer"
            return out
        out["start_s"] = time.monotonic() - began
        out["first"] = first_requests(port, users, password)
        pages = {role: list(found["paths"]) for role, found in out["first"].items()}
        if not any(pages.values()):
            out["error"] = "no page answered 200: " + "; ".join(f"{r}: {f.get('error', f.get('routes'))}"
                                                              for r, f in out["first"].items())
            print(f"[web-load] {label}: {out['error']}", flush=True)
            return out
        print(f"[web-load] {label}: load run", flush=True)
        out["load"] = hammer(port, users, password, pages, args)
        if args.browser:
            print(f"[web-load] {label}: browser", flush=True)
            _settle(port)
            try:
                out["browser"] = browser_times(port, users["inspektor"], password, pages["inspektor"])
            except Exception as exc:  # the browser part failing must not lose the rest of the run
                out["browser"] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    finally:
        _stop(server)
        log.close()
    return out


def _settle(port: int, timeout: float = 300.0) -> None:
    """Wait until the server answers the login page within a second (the load run's queue drained)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            if Session(port).request("GET", "/login/")[0] == 200 and time.monotonic() - t0 < 1.0:
                return
        except OSError:
            pass
        time.sleep(1.0)


def _wait_up(port: int, server: subprocess.Popen, timeout: float = 900.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if Session(port).request("GET", "/login/")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def _route(path: str) -> str:
    """The route a URL belongs to: path segments with digits (ids) replaced, the query dropped."""
    parts = urllib.parse.urlsplit(path).path.strip("/").split("/")
    route = "/".join("<id>" if i and any(c.isdigit() for c in p) else p for i, p in enumerate(parts))
    return f"/{route}/" if route else "/"


class LocatingSession(Session):
    """The benchmark's session, also telling where a redirect points (to follow it while crawling)."""

    def request_with_location(self, method: str, path: str) -> tuple[int, bytes, str | None]:
        self.location = None
        status, body = self.request(method, path)
        return status, body, self.location


def first_requests(port: int, users: dict[str, str], password: str) -> dict:
    """Per role: the pages found from the start page, each timed on its first request after the start."""
    out = {}
    for role in ROLES:
        if role not in users:
            continue
        session = LocatingSession(port)
        if not session.login(users[role], password):
            out[role] = {"paths": [], "error": "login failed"}
            continue
        routes: dict[str, tuple[str, int, float]] = {}
        queue, seen = ["/"], set()
        while queue and len(routes) < MAX_ROUTES:
            path = queue.pop(0)
            route = _route(path)
            if path in seen or route in routes or any(s in path for s in (*SKIP, "ladda-ner", "/api/")):
                continue
            seen.add(path)
            t0 = time.perf_counter()
            try:
                status, body, location = session.request_with_location("GET", path)
            except OSError as exc:  # e.g. no answer within 30 s: reported, the crawl goes on
                routes[route] = (path, type(exc).__name__, (time.perf_counter() - t0) * 1000)
                session = LocatingSession(port)
                session.login(users[role], password)
                continue
            routes[route] = (path, status if "html" in session.content_type or status != 200 else 0,
                             (time.perf_counter() - t0) * 1000)
            if status in (301, 302, 303, 307, 308) and location:
                queue.insert(0, urllib.parse.urljoin(path, location))
                del routes[route]
            elif status == 200 and "html" in session.content_type:
                for href in HREF.findall(body.decode("utf-8", errors="replace")):
                    target = urllib.parse.urljoin(path, href.replace("&amp;", "&"))
                    if target.startswith("/") and not target.startswith("//"):
                        queue.append(target)
        out[role] = {"routes": routes, "paths": [p for p, s, _ in routes.values() if s == 200]}
    return out


def new_period_urls(pages: list[str], rng: random.Random, asked: set) -> str | None:
    """A figure page for a period nobody asked for: start and end drawn from the last two years."""
    figure_pages = [p for p in pages if urllib.parse.urlsplit(p).path in FIGURE_PAGES
                    or urllib.parse.urlsplit(p).path.startswith("/nyckeltal/") and p.count("/") > 2]
    if not figure_pages:
        return None
    for _ in range(100):
        end = dt.date.today() - dt.timedelta(days=rng.randrange(1, 700))
        start = end - dt.timedelta(days=rng.randrange(27, 200))
        page = urllib.parse.urlsplit(rng.choice(figure_pages)).path
        url = f"{page}?fran={start}&till={end}"
        if url not in asked:
            asked.add(url)
            return url
    return None


def hammer(port: int, users: dict[str, str], password: str, pages: dict[str, list[str]], args) -> dict:
    roles = [r for r in ROLES if r in users and pages.get(r)]
    logins = [(roles[i % len(roles)]) for i in range(args.users)]
    lock = threading.Lock()
    times: dict[str, list[float]] = {"page": [], "new period": [], "asked again": [], "until shown": []}
    errors: dict[str, int] = {}
    count, retries = [0], [0]
    max_requests = int(args.users * args.seconds * 20)
    deadline = [float("inf")]
    barrier = threading.Barrier(len(logins), action=lambda: deadline.__setitem__(0, time.monotonic() + args.seconds))
    asked: set[str] = set()
    per_route: dict[str, list[float]] = {}

    def error(kind: str) -> None:
        with lock:
            errors[kind] = errors.get(kind, 0) + 1

    def user(n: int, role: str) -> None:
        rng = random.Random(args.seed * 1000 + n)
        session = Session(port)
        try:
            if not session.login(users[role], password):
                error("login failed")
        except OSError as exc:
            error(f"login {type(exc).__name__}")
        try:
            barrier.wait(timeout=300)
        except threading.BrokenBarrierError:
            error("logins did not finish")
            return
        mine = pages[role][n % len(pages[role]):] + pages[role][:n % len(pages[role])]
        i = 0
        while time.monotonic() < deadline[0]:
            with lock:
                if count[0] >= max_requests:
                    return
                count[0] += 1
                path = new_period_urls(pages[role], rng, asked) if (i + 1) % args.new_every == 0 else None
            kind = "new period" if path else "page"
            path = path or mine[i % len(mine)]
            i += 1
            t0 = time.perf_counter()
            try:
                status, body = session.request("GET", path)
            except OSError as exc:
                error(type(exc).__name__)
                continue
            with lock:
                times[kind].append((time.perf_counter() - t0) * 1000)
                per_route.setdefault(_route(path) if kind == "page" else "new period", []).append(times[kind][-1])
            if status != 200:
                error(f"HTTP {status} {_route(path)}")
            elif WAITING in body:
                shown = follow_waiting(session, path, t0, times, lock, error)
                if shown is not None:
                    with lock:
                        times["until shown"].append(shown)
            if args.think > 0:
                time.sleep(min(rng.uniform(0, 2 * args.think), max(0.0, deadline[0] - time.monotonic())))
        with lock:
            retries[0] += session.retries

    threads = [threading.Thread(target=user, args=(n, role), daemon=True) for n, role in enumerate(logins)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=args.seconds + 400)
    every = times["page"] + times["new period"] + times["asked again"]

    def stats(values: list[float]) -> dict:
        if not values:
            return {"n": 0}
        return {"n": len(values), "p50_ms": statistics.median(values), "p95_ms": nearest_rank(values, 0.95),
                "max_ms": max(values)}

    return {"users": len(logins), "roles": sorted(set(logins)), "seconds": args.seconds, "requests": count[0],
            "errors": sum(errors.values()), "error_kinds": errors, "stale_retries": retries[0],
            "all": stats(every), "pages": stats(times["page"]), "new_periods": stats(times["new period"]),
            "asked_again": stats(times["asked again"]), "until_shown": stats(times["until shown"]),
            "stuck_threads": sum(t.is_alive() for t in threads), "load_after": os.getloadavg(),
            "routes": {route: stats(values) for route, values in sorted(per_route.items())}}


WAITING = b'id="berakning-igen"'  # pages/beraknas.html: the figures of a new period are being computed
WAITING_RELOAD_S = 2.0  # as the page's own script (pages/pending.py RELOAD_SECONDS)


def follow_waiting(session, path: str, began: float, times: dict, lock, error) -> float | None:
    """Ask again as the waiting page does until the page is shown: ms from the first request, or None."""
    while time.perf_counter() - began < 120:
        time.sleep(WAITING_RELOAD_S)
        t0 = time.perf_counter()
        try:
            status, body = session.request("GET", path)
        except OSError as exc:
            error(type(exc).__name__)
            return None
        with lock:
            times["asked again"].append((time.perf_counter() - t0) * 1000)
        if status != 200:
            error(f"HTTP {status} {_route(path)}")
            return None
        if WAITING not in body:
            return (time.perf_counter() - began) * 1000
    error("new period never shown in 120 s")
    return None


def browser_times(port: int, username: str, password: str, paths: list[str]) -> dict:
    """Each page until its charts are drawn: first in a fresh browser, then twice more (cached)."""
    if not CHROMIUM.exists():
        return {"error": f"{CHROMIUM} is not installed"}
    from playwright.sync_api import sync_playwright

    # a chart area holds its <svg> once drawn: written by the server (now), or by Plotly (before 2026-12-07)
    drawn = ("() => { const f = document.querySelectorAll('.diagram-yta'); "
             "return Array.from(f).every(e => e.querySelector('svg')) && document.readyState === 'complete'; }")
    finished = ("() => { const n = performance.getEntriesByType('navigation')[0]; "
                "return Math.max(n.loadEventEnd, performance.now()) - n.startTime; }")
    base = f"http://127.0.0.1:{port}"
    rows = []
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"])
        context = chromium.new_context()
        context.set_default_timeout(120_000)
        tab = context.new_page()
        tab.goto(base + "/login/")
        if CSRF_INPUT.search(tab.content()) is None:
            return {"error": "no login form"}
        tab.fill("input[name=username]", username)
        tab.fill("input[name=password]", password)
        tab.click("button[type=submit]")
        tab.wait_for_load_state("load")
        signed_in = context.storage_state()  # the session cookie only: every page starts with an empty cache
        context.close()
        for path in paths:
            context = chromium.new_context(viewport={"width": 1280, "height": 900}, storage_state=signed_in)
            context.set_default_timeout(120_000)
            tab = context.new_page()
            visits = []
            try:
                for _ in range(3):
                    tab.goto(base + path, wait_until="commit")
                    tab.wait_for_function(drawn, polling="raf", timeout=120_000)
                    visits.append(tab.evaluate(finished))
            except Exception as exc:  # one page failing is reported, the others still measured
                rows.append({"path": path, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
                context.close()
                continue
            charts = tab.evaluate("() => document.querySelectorAll('.diagram-yta').length")
            rows.append({"path": path, "charts": charts, "first_ms": visits[0], "cached_ms": min(visits[1:]),
                         "cached_max_ms": max(visits[1:])})
            context.close()
        chromium.close()
    return {"pages": rows}


def render(results: dict, args) -> str:
    lines = [f"Command: `{results['command']}`  ", f"Started {results['started']} UTC; load average (1, 5, 15 min) "
             f"{tuple(round(x, 1) for x in results['load_before'])} before, "
             f"{tuple(round(x, 1) for x in results['load_after'])} after (2 cores, shared).", ""]
    runs = results["runs"]
    labels = list(runs)
    lines += ["### After a restart: start and the first request of every page", "",
              "| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    lines.append("| server answers after (s) | " + " | ".join(f"{runs[x].get('start_s', 0):.1f}" for x in labels) + " |")
    firsts = {x: [ms for role in runs[x].get("first", {}).values() for _, s, ms in role.get("routes", {}).values() if s == 200]
              for x in labels}
    for name, fn in (("first requests", len), ("first request p50 (ms)", statistics.median),
                     ("first request p95 (ms)", lambda v: nearest_rank(v, 0.95)), ("slowest first request (ms)", max)):
        lines.append(f"| {name} | " + " | ".join(f"{fn(firsts[x]):.0f}" if firsts[x] else "–" for x in labels) + " |")
    slow = {x: sorted(((ms, f"{role} {path}") for role, r in runs[x].get("first", {}).items()
                       for path, s, ms in r.get("routes", {}).values() if s == 200), reverse=True)[:3] for x in labels}
    failed = {x: [f"{role} {path}: {s}" for role, r in runs[x].get("first", {}).items()
                  for path, s, _ in r.get("routes", {}).values() if isinstance(s, str)] for x in labels}
    lines.append("| failed (no answer in 30 s) | " + " | ".join("<br>".join(failed[x]) or "none" for x in labels) + " |")
    lines.append("| slowest three | " + " | ".join("<br>".join(f"{p} {ms:.0f}" for ms, p in slow[x]) for x in labels) + " |")
    pace = f", each reading a page {args.think:g} s on average (uniform 0–{2 * args.think:g} s)" if args.think else \
        ", no pause between a user's requests"
    lines += ["", f"### Under load: {args.users} users, {args.seconds:.0f} s{pace}, every {args.new_every}th request a new period",
              "", "| | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]

    def cell(x, part, key):
        value = runs[x].get("load", {}).get(part, {}).get(key)
        return "–" if value is None else f"{value:.0f}"

    for part, title in (("all", "all requests"), ("pages", "pages"), ("new_periods", "new periods: first answer"),
                        ("asked_again", "new periods: asked again by the waiting page"),
                        ("until_shown", "new periods: until the figures are shown")):
        lines.append(f"| {title}: n | " + " | ".join(cell(x, part, "n") for x in labels) + " |")
        lines.append(f"| {title}: p50 / p95 / max (ms) | " + " | ".join(
            f"{cell(x, part, 'p50_ms')} / {cell(x, part, 'p95_ms')} / {cell(x, part, 'max_ms')}" for x in labels) + " |")
    lines.append("| errors | " + " | ".join(f"{runs[x].get('load', {}).get('errors', '–')} "
                                            f"{runs[x].get('load', {}).get('error_kinds', '') or ''}" for x in labels) + " |")
    lines.append("| p95 of all < 300 ms and zero errors | " + " | ".join(
        ("PASS" if runs[x].get("load", {}).get("all", {}).get("p95_ms", 1e9) < TARGET_MS
         and runs[x].get("load", {}).get("errors", 1) == 0 else "FAIL") for x in labels) + " |")
    routes = sorted({r for x in labels for r in runs[x].get("load", {}).get("routes", {})})
    if routes:
        lines += ["", "Per route under load: n, p50 / p95 (ms)", "", "| route | " + " | ".join(labels) + " |",
                  "|---|" + "---:|" * len(labels)]
        for route in routes:
            cells = []
            for x in labels:
                r = runs[x].get("load", {}).get("routes", {}).get(route)
                cells.append(f"{r['n']}, {r['p50_ms']:.0f} / {r['p95_ms']:.0f}" if r else "–")
            lines.append(f"| `{route}` | " + " | ".join(cells) + " |")
    if any("browser" in runs[x] for x in labels):
        lines += ["", "### In the browser (Chromium, loopback): until every chart is drawn (ms)", "",
                  "| page | " + " | ".join(f"{x}: first visit | {x}: cached" for x in labels) + " |",
                  "|---|" + "---:|---:|" * len(labels)]
        paths = []
        for x in labels:
            for row in runs[x].get("browser", {}).get("pages", []):
                if row["path"] not in paths:
                    paths.append(row["path"])
        for path in paths:
            cells = []
            for x in labels:
                row = next((r for r in runs[x].get("browser", {}).get("pages", []) if r["path"] == path), None)
                cells += [f"{row['first_ms']:.0f}", f"{row['cached_ms']:.0f}"] if row and "first_ms" in row else (
                    ["error", "error"] if row else ["–", "–"])
            lines.append(f"| `{path}` | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
