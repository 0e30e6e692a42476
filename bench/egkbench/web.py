"""Web pages at city scale: server time per page in-process, then a load run over loopback.

Why two measurements: the in-process timing (Django's test client, no network, no server) is
the view's own cost — queries, templates, the access log — and gives a clean p50/p95 per page.
The load run puts the real server (`egenkontroll serve`) under 20 logged-in users at once on
127.0.0.1, which is where locking, sessions and the access log's hash chain show their cost,
and counts every error. Both are bounded in requests and in time.

Pages are found by following links from the start page as a logged-in user (one URL per route,
so `arende/<case_id>/` is timed once, for whichever case the pages link to first).
"""

from __future__ import annotations

import html
import http.client
import math
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
from pathlib import Path

from egkbench.measure import StepFailed, run_step
from egkbench.program import BENCH_KEY_HEX, cli

TIMED_ROLES = ("inspektor", "handlaggare")  # the whole city at person level; one caseworker's own cases
MAX_ROUTES = 40
SKIP = ("/static/", "/logout/", "/login/", "ta-bort", "/oidc/")
HREF = re.compile(r"""href=["']([^"'#]+)""")
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
REQUEST_TIMEOUT_S = 30.0
LOGIN_TIMEOUT_S = 300.0


def env(url: str) -> dict:
    return {"DATABASE_URL": url, "EGK_PSEUDONYM_KEY": BENCH_KEY_HEX, "EGK_PSEUDONYM_KEY_FILE": "",
            "EGK_LOG_LEVEL": "ERROR"}


def nearest_rank(values: list[float], q: float) -> float:
    """The q-quantile by nearest rank (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1))]


# ---------------------------------------------------------------- in-process (child side)


def time_pages(p: dict) -> dict:
    """Child step: demo users, page discovery per role, then `samples` timed GETs per page."""
    os.environ.update(env(p["db"]))
    from egenkontroll.cases.store import connect

    connect(p["db"])
    from django.contrib.auth import get_user_model
    from django.test import Client

    from egenkontroll.access.demo import create_demo_users

    users = {role: name for name, _, role, _ in create_demo_users(password=p["password"])}
    out = {"roles": {}, "users": users, "seconds": [0.0]}
    for role in TIMED_ROLES:
        if role not in users:
            out["roles"][role] = {"error": f"no demo user for role {role}"}
            continue
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(get_user_model().objects.get(username=users[role]))
        found = _discover(client)
        out["roles"][role] = {
            "pages": [_time_page(client, route, path, first, p["samples"]) for route, (path, first) in found.items()]
        }
    return out


def _discover(client) -> dict[str, tuple[str, object]]:
    """route → (first URL seen for it, its response and time), breadth first from the start page.

    The time is the page's first request in this process (other pages may have warmed caches).
    """
    from django.urls import Resolver404, resolve

    routes: dict[str, tuple[str, object]] = {}
    queue, seen = ["/"], set()
    while queue and len(routes) < MAX_ROUTES:
        path = queue.pop(0)
        if path in seen or any(s in path for s in SKIP):
            continue
        seen.add(path)
        try:
            route = resolve(urllib.parse.urlsplit(path).path).route
        except Resolver404:
            continue
        if route in routes:
            continue
        began = time.perf_counter()
        response = client.get(path)
        routes[route] = (path, (response, (time.perf_counter() - began) * 1000))
        if response.status_code in (301, 302, 303, 307, 308):
            queue.append(urllib.parse.urljoin(path, response["Location"]))
        elif response.status_code == 200 and "html" in response.get("Content-Type", ""):
            for href in HREF.findall(response.content.decode("utf-8", errors="replace")):
                target = urllib.parse.urljoin(path, html.unescape(href))
                if target.startswith("/") and not target.startswith("//"):
                    queue.append(target)
    return routes


def _time_page(client, route: str, path: str, first_seen, samples: int) -> dict:
    first, first_ms = first_seen
    row = {"route": route, "path": path, "status": first.status_code, "first_ms": first_ms,
           "kind": "download" if "ladda-ner" in route else "page",
           "content_type": first.get("Content-Type", "").split(";")[0]}
    if first.status_code != 200:
        return row
    times = []
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - began) * 1000)
        if response.status_code != 200:
            row["status"] = response.status_code
    row.update(samples=samples, bytes=len(first.content), p50_ms=statistics.median(times),
               p95_ms=nearest_rank(times, 0.95), max_ms=max(times))
    return row


# ---------------------------------------------------------------- load run (parent side)


class Session:
    """One logged-in browser: a keep-alive connection and its cookies.

    Like a browser (and urllib3), a request that fails because the server had already closed an
    idle kept-alive connection is sent once more on a fresh one; such retries are counted and
    reported, and a failure on a fresh connection is an error.
    """

    STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)

    def __init__(self, port: int) -> None:
        self.port, self.cookies, self.conn, self.reused, self.retries = port, {}, None, False, 0
        self.location: str | None = None  # of the last response: where a redirect points
        self.content_type = ""

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, bytes]:
        try:
            return self._send(method, path, body)
        except self.STALE:
            if not self.reused:
                raise
            self.retries += 1
            return self._send(method, path, body)

    def _send(self, method: str, path: str, body: str | None) -> tuple[int, bytes]:
        if self.conn is None:
            self.conn, self.reused = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S), False
        headers = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        self.reused = not response.will_close
        if response.will_close:
            self.conn.close()
            self.conn = None
        for cookie in response.headers.get_all("Set-Cookie") or ():
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        self.location = response.getheader("Location")
        self.content_type = response.getheader("Content-Type") or ""
        return response.status, data

    def login(self, username: str, password: str) -> bool:
        status, body = self.request("GET", "/login/")
        token = CSRF_INPUT.search(body.decode("utf-8", errors="replace"))
        if status != 200 or token is None:
            return False
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": html.unescape(token.group(1))}
        )
        status, _ = self.request("POST", "/login/", form)
        return status == 302


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_argv(url: str, port: int) -> list[str] | None:
    """`egenkontroll serve` bound to loopback, or None when the command does not exist yet."""
    argv = [*cli(), "serve"]
    probe = subprocess.run([*argv, "--help"], capture_output=True, text=True, env={**os.environ, **env(url)})
    if probe.returncode != 0:
        return None
    text = probe.stdout
    argv += ["--db", url, "--port", str(port)]
    if "--host" in text:
        argv += ["--host", "127.0.0.1"]
    elif "--bind" in text:
        argv[-2:] = ["--bind", f"127.0.0.1:{port}"]
    return argv


def load_run(url: str, logins: list[tuple[str, str, list[str]]], seconds: float, work: Path, label: str) -> dict:
    """`users` sessions (username, password, paths) hammer the server for `seconds`; errors counted."""
    port = _free_port()
    argv = _serve_argv(url, port)
    if argv is None:
        return {"not_measured": "`egenkontroll serve` does not exist yet in this checkout"}
    max_requests = int(len(logins) * seconds * 20)
    log = open(work / f"serve-{label}.log", "wb")  # noqa: SIM115 - closed in finally
    server = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env(url)},
                              start_new_session=True)
    try:
        if not _wait_up(port, server):
            return {"not_measured": f"the server did not answer on 127.0.0.1:{port} (see {work.name}/serve-{label}.log)"}
        shown = " ".join("URL" if a == url else a for a in argv[1:])
        return {**_hammer(port, logins, seconds, max_requests), "server": f"egenkontroll {shown}"}
    finally:
        _stop(server)
        log.close()


def _wait_up(port: int, server: subprocess.Popen, timeout: float = 600.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            status, _ = Session(port).request("GET", "/login/")
            if status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def _stop(server: subprocess.Popen) -> None:
    """Stop the server this run started (its own process group, by id)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _hammer(port: int, logins, seconds: float, max_requests: int) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    errors: dict[str, int] = {}
    count, retries = [0], [0]
    deadline_box = [float("inf")]
    # The timed window opens when the last user has logged in (password hashing is slow on purpose).
    start = threading.Barrier(len(logins), action=lambda: deadline_box.__setitem__(0, time.monotonic() + seconds))

    def error(kind: str) -> None:
        with lock:
            errors[kind] = errors.get(kind, 0) + 1

    def user(username: str, password: str, paths: list[str], deadline_box: list[float]) -> None:
        session = Session(port)
        try:
            if not session.login(username, password):
                error("login failed")
        except (OSError, http.client.HTTPException) as exc:
            error(f"login {type(exc).__name__}")
        try:
            start.wait(timeout=LOGIN_TIMEOUT_S)
        except threading.BrokenBarrierError:
            error("logins did not finish in time")
            return
        i = 0
        while time.monotonic() < deadline_box[0]:
            with lock:
                if count[0] >= max_requests:
                    return
                count[0] += 1
            path = paths[i % len(paths)]
            i += 1
            began = time.perf_counter()
            try:
                status, _ = session.request("GET", path)
            except (OSError, http.client.HTTPException) as exc:
                error(type(exc).__name__)
                continue
            with lock:
                latencies.append((time.perf_counter() - began) * 1000)
            if status != 200:
                error(f"HTTP {status}")
        with lock:
            retries[0] += session.retries

    threads = [threading.Thread(target=user, args=(*login, deadline_box), daemon=True) for login in logins]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=seconds + REQUEST_TIMEOUT_S + 300)
    opened = deadline_box[0] - seconds
    elapsed = time.monotonic() - opened if opened != float("inf") else 0.0
    total_errors = sum(errors.values())
    return {
        "users": len(logins), "seconds": elapsed, "requests": count[0], "max_requests": max_requests,
        "timeout_s": REQUEST_TIMEOUT_S, "errors": total_errors,
        "error_kinds": ", ".join(f"{k}: {v}" for k, v in sorted(errors.items())), "stale_retries": retries[0],
        "p50_ms": statistics.median(latencies) if latencies else 0.0,
        "p95_ms": nearest_rank(latencies, 0.95) if latencies else 0.0,
        "max_ms": max(latencies) if latencies else 0.0,
        "stuck_threads": sum(t.is_alive() for t in threads),
    }


# ---------------------------------------------------------------- both databases


def web_available() -> str | None:
    """None when the web app has pages; otherwise why the pages cannot be measured."""
    import importlib.util

    if importlib.util.find_spec("egenkontroll.overview.urls") is None:
        return "the web app (egenkontroll.overview) is not in this checkout"
    return None


def measure_all(databases: dict[str, str], args, work: Path) -> dict:
    reason = web_available()
    out = {}
    for label in ("sqlite", "postgresql"):
        if reason:
            out[label] = {"not_measured": reason}
        elif label not in databases:
            out[label] = {"not_measured": f"the city import into {label} did not succeed, so there is nothing to serve"}
        else:
            try:
                out[label] = measure_db(label, databases[label], args, work)
            except Exception as exc:  # the web part failing must not lose the rest of the run
                out[label] = {"not_measured": f"the web measurement failed: {type(exc).__name__}: {exc}"}
    return out


def measure_db(label: str, url: str, args, work: Path) -> dict:
    print(f"[bench]   web {label}: pages", flush=True)
    password = secrets.token_urlsafe(18)
    samples = 5 if args.quick else 20
    try:
        timed = run_step("pages", {"db": url, "password": password, "samples": samples, "work": str(work)}, work)
    except StepFailed as exc:
        return {"not_measured": f"page timing failed: {exc}"}
    roles = timed.info["roles"]
    pages = [{**row, "role": role} for role, data in roles.items() for row in data.get("pages", [])]
    timed_pages = [row for row in pages if "p95_ms" in row]
    result = {
        "role": ", ".join(TIMED_ROLES), "samples": samples, "pages": [r for r in timed_pages if r["kind"] == "page"],
        "downloads": [r for r in timed_pages if r["kind"] == "download"],
        "not_ok": [r for r in pages if "p95_ms" not in r and not 300 <= r["status"] < 400],
        "users": timed.info["users"],
    }
    print(f"[bench]   web {label}: load run", flush=True)
    logins = []
    for i in range(args.load_users):
        role = TIMED_ROLES[i % len(TIMED_ROLES)]
        paths = [r["path"] for r in result["pages"] if r["role"] == role]
        if paths and role in timed.info["users"]:
            logins.append((timed.info["users"][role], password, paths))
    if not logins:
        result["load"] = {"not_measured": "no page answered 200 for the timed roles"}
    else:
        seconds = min(args.load_seconds, 10.0) if args.quick else args.load_seconds
        result["load"] = load_run(url, logins, seconds, work, label)
    return result
