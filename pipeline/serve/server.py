"""`clinics serve`: the preview over HTTP, a watcher on the sources, and Server-Sent Events.

Three kinds of thread share one Session under one lock: the watcher (watchfiles) refreshes it and
announces each Change; each request renders a page from it; each open page holds /events, where
the changes arrive. Only GET and HEAD exist: nothing a request says is ever written anywhere. The
outputs are served from memory by their exact path under the build, never looked up on disk.
"""
from __future__ import annotations

import datetime as dt
import http.server
import ipaddress
import json
import socket
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

from pipeline.serve import pages
from pipeline.serve.session import Change, Session

STATIC = Path(__file__).parent / "static"
KEEPALIVE_S = 15.0
HISTORY = 64  # changes kept for a page that reconnects; one that missed more refreshes whole
PAGE_POLICY = ("default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; "
               "frame-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
OUTPUT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8"}  # others: plain text


class Broadcast:
    """The changes so far, for every open /events to wait on."""

    def __init__(self, generation: int) -> None:
        self.condition = threading.Condition()
        self.generation = generation
        self.changes: list[Change] = []
        self.closed = False

    def publish(self, change: Change) -> None:
        with self.condition:
            self.changes = [*self.changes[-HISTORY + 1:], change]
            self.generation = change.generation
            self.condition.notify_all()

    def close(self) -> None:
        with self.condition:
            self.closed = True
            self.condition.notify_all()

    def after(self, seen: int, timeout: float) -> list[Change] | None:
        """Return the changes after generation `seen`, waiting up to `timeout` for one; None once closed."""
        with self.condition:
            self.condition.wait_for(lambda: self.closed or self.generation > seen, timeout)
            if self.closed:
                return None
            newer = [c for c in self.changes if c.generation > seen]
            if newer and newer[0].generation != seen + 1:  # some were dropped: a change to everything
                return [Change(self.generation, True, ())]
            return newer


class Preview(http.server.ThreadingHTTPServer):
    """The HTTP server of one session."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], session: Session) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # an IPv6 address, e.g. --host ::1
        super().__init__(address, Handler)
        self.session = session
        self.lock = threading.Lock()
        self.broadcast = Broadcast(session.generation)
        host, port = self.server_address[:2]
        self.hosts = {f"{name}:{port}" for name in ("127.0.0.1", "localhost", "[::1]", str(host))}
        self.loopback = is_loopback(str(host))

    def handle_error(self, request: object, client_address: object) -> None:
        """Say nothing of a browser that went away before its answer was written (a page left or reloaded)."""
        if isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError …
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class Handler(http.server.BaseHTTPRequestHandler):
    server: Preview
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (the standard library's name)
        pass  # a request per save: the terminal stays for what matters

    def do_HEAD(self) -> None:
        self._answer(head=True)

    def do_GET(self) -> None:
        self._answer(head=False)

    def _answer(self, head: bool) -> None:
        if self.server.loopback and self.headers.get("Host", "") not in self.server.hosts:
            # Another site's page, its name pointed at 127.0.0.1 (DNS rebinding), reads nothing of ours.
            return self._send(421, "text/plain; charset=utf-8", b"unknown host\n", head)
        route = urlsplit(self.path).path
        segments = _segments(route)
        if segments is None:
            with self.server.lock:
                status, kind, data = self._missing("no such page: the address is not one of the preview's", 404)
            return self._send(status, kind, data, head)
        if segments == ["events"]:
            return self._events(head)
        try:
            status, kind, data = self._page(segments)
        except Exception:  # a bug of ours: said on the page and in the terminal, and the server goes on
            report = traceback.format_exc()
            print(report, file=sys.stderr)
            status, kind, data = 500, "text/plain; charset=utf-8", ("clinics serve: internal error\n\n" + report).encode()
        self._send(status, kind, data, head, output=segments[:1] in (["digest"], ["pages"]) and len(segments) > 2)

    def _page(self, segments: list[str]) -> tuple[int, str, bytes]:
        session = self.server.session
        with self.server.lock:
            if segments == []:
                return 200, TYPES[".html"], pages.index_page(session).encode()
            if segments == ["static", "preview.js"]:
                return 200, TYPES[".js"], (STATIC / "preview.js").read_bytes()
            if segments[0] == "digest" and len(segments) >= 2:
                version = session.versions.get(segments[1])
                if version is None:
                    return self._missing(f"there is no digest file {segments[1]}.md (any more)", 404)
                if len(segments) == 2:
                    return 200, TYPES[".html"], pages.digest_page(session, version).encode()
                rendering = session.rendering(version)
                outputs = rendering.outputs if rendering is not None else {}
                return self._output(outputs, "/".join(segments[2:]))
            if segments[0] == "pages" and len(segments) > 1:
                return self._output(session.archive_pages(), "/".join(segments[1:]))
            return self._missing("no such page: the address is not one of the preview's", 404)

    def _output(self, outputs: dict[str, bytes], path: str) -> tuple[int, str, bytes]:
        """Return an output by its exact path under the build; shown as plain text but for HTML."""
        if path not in outputs:
            return self._missing(f"no output {path} (the digest may have errors)", 404)
        return 200, TYPES.get(Path(path).suffix, "text/plain; charset=utf-8"), outputs[path]

    def _missing(self, what: str, status: int) -> tuple[int, str, bytes]:
        return status, TYPES[".html"], pages.missing_page(self.server.session, what, status).encode()

    def _send(self, status: int, kind: str, data: bytes, head: bool, output: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Content-Security-Policy", OUTPUT_POLICY if output else PAGE_POLICY)
        self.end_headers()
        if not head:
            self.wfile.write(data)

    def _events(self, head: bool) -> None:
        """Hold the connection open and write each change as an event, until the page or the server goes."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if head:
            return
        self.close_connection = True
        broadcast = self.server.broadcast
        seen = broadcast.generation
        try:
            self._write(f"retry: 1000\nevent: hello\ndata: {json.dumps({'generation': seen})}\n\n")
            while True:
                changes = broadcast.after(seen, KEEPALIVE_S)
                if changes is None:
                    return
                if not changes:
                    self._write(": still here\n\n")
                for change in changes:
                    self._write(f"data: {json.dumps(asdict(change))}\n\n")
                    seen = change.generation
        except (BrokenPipeError, ConnectionResetError):
            return

    def _write(self, text: str) -> None:
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()


def _segments(route: str) -> list[str] | None:
    """Return the decoded segments of an address's path; None for any that could name another place.

    `..`, `.`, an empty segment, and a slash, backslash, NUL or control character hidden by
    percent-encoding are refused before anything is looked up.
    """
    if not route.startswith("/"):
        return None
    raw = route[1:].split("/") if route != "/" else []
    segments = []
    for part in raw:
        text = unquote(part, errors="strict") if "%" in part else part
        if text in ("", ".", "..") or any(c in text for c in "/\\") or any(ord(c) < 32 or ord(c) == 127 for c in text):
            return None
        segments.append(text)
    return segments


def is_loopback(host: str) -> bool:
    """Return True when `host` is this machine alone (127.0.0.1, ::1, localhost)."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def watch(session: Session, server: Preview, stop: threading.Event, ready: threading.Event, paths: list[Path],
          say: Callable[[str], None]) -> None:
    """Refresh the session from every change to `paths` and announce it, until `stop` is set.

    watchfiles answers "nothing yet" once its watches are in place: then `ready` is set, after the
    files saved since the session read them are taken in, so that no save is ever missed.
    """
    for changes in watchfiles.watch(*paths, stop_event=stop, step=10, debounce=400, recursive=False,
                                    rust_timeout=200, yield_on_timeout=True, raise_interrupt=False):
        if not changes and ready.is_set():
            continue
        try:
            with server.lock:
                if not ready.is_set():
                    change = session.refresh(session.changed_on_disk())
                    ready.set()
                else:
                    change = session.refresh(Path(path) for _, path in changes)
        except Exception:  # a bug of ours must not stop the preview: say it, and keep watching
            say(traceback.format_exc())
            ready.set()
            continue
        if change is None:
            continue
        server.broadcast.publish(change)
        try:
            with server.lock:  # while the pages hear of it, the previews they will ask for are made
                for slug in change.slugs:
                    if slug in session.versions:
                        session.rendering(session.versions[slug])
        except Exception:  # the page that asks will show it
            say(traceback.format_exc())


def serve(folder: Path, templates: Path, out: Path, host: str, port: int, today: dt.date,
          say: Callable[[str], None]) -> None:
    """Serve the preview of `folder` at host:port until interrupted."""
    session = Session(folder, templates, out, today)
    for note in session.notes:
        say(f"clinics: note: {note}")
    server = Preview((host, port), session)
    stop, ready = threading.Event(), threading.Event()
    watcher = threading.Thread(target=watch, args=(session, server, stop, ready, [folder, templates], say),
                               name="clinics-watch", daemon=True)
    watcher.start()
    ready.wait()
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    say(f"clinics: previewing {folder} at http://{shown}:{bound_port}/ (Ctrl-C to stop)")
    try:
        server.serve_forever(poll_interval=0.25)
    finally:
        stop.set()
        server.broadcast.close()
        server.server_close()
        watcher.join(timeout=5)
