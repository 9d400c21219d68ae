"""A small client of the DevTools protocol: one headless Debian chromium, driven on a pipe (fds 3 and 4).

Used by the preview's browser tests (tests/serve/) and its row of the benchmark: open a page, run
JavaScript in it, and wait for a promise the page resolves when it shows something. No package
beyond the standard library; the same launch as tests/render/email/test_email_browser.py.
"""
from __future__ import annotations

import fcntl
import base64
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--mute-audio", "--remote-debugging-pipe",
         # A page in a background tab is not slowed down: the benchmark measures what a visible one does.
         "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
         "--disable-backgrounding-occluded-windows")


def find_chromium() -> str | None:
    """Return the path of Debian's chromium, or None."""
    return shutil.which("chromium")


def _high(fd: int) -> int:
    """Return `fd` moved to 10 or above, clear of the 3 and 4 that chromium reads and writes."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless chromium; `call` a method and get its result, `send` one and collect it later."""

    def __init__(self, chromium: str, profile: Path) -> None:
        commands_read, self._commands = map(_high, os.pipe())
        self._replies, replies_write = map(_high, os.pipe())
        script = f'exec "$@" 3<&{commands_read} 4>&{replies_write} {commands_read}<&- {replies_write}>&-'
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", script, "bash", chromium, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            pass_fds=(commands_read, replies_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(commands_read)
        os.close(replies_write)
        self._buffer = b""
        self._next = 0
        self._replies_by_id: dict[int, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []

    def close(self) -> None:
        try:
            self.call("Browser.close", timeout=5)
        except (OSError, RuntimeError, TimeoutError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._commands)
        os.close(self._replies)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._replies], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("chromium did not answer in time")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return dict(json.loads(message))

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        """Send a command; return its id, for `reply`."""
        self._next += 1
        request: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._commands, json.dumps(request).encode() + b"\0")
        return self._next

    def reply(self, ident: int, timeout: float = 30) -> dict[str, Any]:
        """Return the result of command `ident`, waiting up to `timeout` seconds; events are kept."""
        deadline = time.monotonic() + timeout
        while ident not in self._replies_by_id:
            message = self._receive(deadline)
            if "id" in message:
                self._replies_by_id[int(message["id"])] = message
            else:
                self.events.append(message)
        message = self._replies_by_id.pop(ident)
        if "error" in message:
            raise RuntimeError(f"chromium: {message['error']}")
        return dict(message.get("result", {}))

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        return self.reply(self.send(method, params, session), timeout)

    def wait_event(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        """Return the first event `method` of `session`, waiting for it if none came yet."""
        deadline = time.monotonic() + timeout
        while True:
            for n, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return dict(self.events.pop(n)["params"])
            message = self._receive(deadline)
            if "id" in message:
                self._replies_by_id[int(message["id"])] = message
            else:
                self.events.append(message)

    def tab(self, width: int = 1200, height: int = 900, network: bool = False) -> str:
        """Return the session of a new tab as wide as `width` (a phone below 480px); `network`: report requests."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])
        for domain in ("Page", "Runtime", *(("Network",) if network else ())):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 480}, session)
        return session

    def taken(self, method: str, session: str) -> list[dict[str, Any]]:
        """Return the parameters of the events `method` of `session` received so far, and forget them."""
        found = [e["params"] for e in self.events if e.get("method") == method and e.get("sessionId") == session]
        self.events = [e for e in self.events if not (e.get("method") == method and e.get("sessionId") == session)]
        return found

    def screenshot(self, session: str, width: int, height: int) -> bytes:
        """Return a PNG of the page's first `width` × `height` pixels, beyond the window if need be."""
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
        return base64.b64decode(shot["data"])

    def visit(self, session: str, url: str, timeout: float = 30) -> None:
        self.events = [e for e in self.events if not (e.get("method") == "Page.loadEventFired"
                                                      and e.get("sessionId") == session)]
        self.call("Page.navigate", {"url": url}, session)
        self.wait_event("Page.loadEventFired", session, timeout)

    def evaluate(self, session: str, expression: str, timeout: float = 30) -> Any:
        """Return the value of `expression` in the page, awaited when it is a promise."""
        return self.value(self.send_evaluate(session, expression), timeout)

    def send_evaluate(self, session: str, expression: str) -> int:
        """Start evaluating `expression` (a promise is awaited); return the id for `value`."""
        return self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                              "awaitPromise": True}, session)

    def value(self, ident: int, timeout: float = 30) -> Any:
        result = self.reply(ident, timeout)
        if "exceptionDetails" in result:
            raise RuntimeError(f"in the page: {result['exceptionDetails']}")
        return result["result"].get("value")
