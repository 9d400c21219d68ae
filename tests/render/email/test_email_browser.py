"""Every HTML email in a real browser (Debian's headless chromium) at 360px and 600px.

One chromium process for all the pages, driven over the DevTools protocol on a pipe (no extra
package): each page is measured in place (no horizontal overflow, every heading visible, no
request leaves the machine) and photographed whole into build/screenshots/email/ for people to
look at.
"""
from __future__ import annotations

import base64
import datetime as dt
import fcntl
import json
import os
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DIGESTS, ROOT, TEMPLATES, need

from pipeline.check.archive import load_archive
from pipeline.render.email import mime as email_mime

SCREENSHOTS = ROOT / "build" / "screenshots" / "email"
WIDTHS = (360, 600)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--mute-audio", "--remote-debugging-pipe")

MEASURE = """(() => {
  const width = window.innerWidth;
  const outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered (the hidden preheader)
    if (box.right > width + 0.5 || box.left < -0.5)
      outside.push(`<${el.tagName.toLowerCase()}> ${Math.round(box.left)}..${Math.round(box.right)}: ` +
                   el.textContent.trim().slice(0, 50));
  }
  const hidden = [];
  const headings = document.querySelectorAll('h1, h2, h3, h4, h5, h6');
  for (const h of headings) {
    const box = h.getBoundingClientRect();
    const style = getComputedStyle(h);
    if (box.width < 1 || box.height < 1 || style.visibility !== 'visible' || style.display === 'none' ||
        Number(style.opacity) === 0 || box.left < 0 || box.right > width || style.color === style.backgroundColor)
      hidden.push(h.textContent);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, height: document.documentElement.scrollHeight,
          outside, hidden, headings: headings.length};
})()"""


def _high(fd: int) -> int:
    """Return `fd` moved to 10 or above, clear of the 3 and 4 that chromium reads and writes."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


class Browser:
    """One headless chromium, driven over the DevTools protocol on fds 3 (commands) and 4 (replies)."""

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
        self._events: list[dict[str, Any]] = []

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

    def _receive(self, timeout: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._replies], [], [], timeout)
            if not ready:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._replies, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        return json.loads(message)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        self._next += 1
        request: dict[str, Any] = {"id": self._next, "method": method, "params": params or {}}
        if session:
            request["sessionId"] = session
        os.write(self._commands, json.dumps(request).encode() + b"\0")
        while True:
            message = self._receive(timeout)
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return dict(message.get("result", {}))
            self._events.append(message)

    def wait(self, method: str, session: str, timeout: float = 30) -> dict[str, Any]:
        while True:
            for n, event in enumerate(self._events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return dict(self._events.pop(n)["params"])
            self._events.append(self._receive(timeout))

    def events(self, method: str, session: str) -> list[dict[str, Any]]:
        found = [e["params"] for e in self._events if e.get("method") == method and e.get("sessionId") == session]
        self._events = [e for e in self._events if not (e.get("method") == method and e.get("sessionId") == session)]
        return found

    def page(self, width: int) -> str:
        """Return the session of a new tab as wide as `width` (a phone below 480px)."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])
        for domain in ("Page", "Network", "Runtime"):
            self.call(f"{domain}.enable", session=session)
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": width < 480}, session)
        return session

    def visit(self, session: str, url: str) -> None:
        self.call("Page.navigate", {"url": url}, session)
        self.wait("Page.loadEventFired", session)

    def evaluate(self, session: str, expression: str) -> Any:
        return self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True},
                         session)["result"]["value"]

    def screenshot(self, session: str, width: int, height: int) -> bytes:
        shot = self.call("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}}, session)
        return base64.b64decode(shot["data"])


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = shutil.which("chromium")
    need(chromium is not None, "Debian's chromium is not installed (apt-get install chromium)")
    assert chromium is not None
    running = Browser(chromium, tmp_path_factory.mktemp("chromium-profile"))
    try:
        running.call("Browser.getVersion", timeout=60)
        yield running
    finally:
        running.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Return the HTML email of every example digest, written to files, by id."""
    folder = tmp_path_factory.mktemp("emails")
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    found = {}
    for digest in archive.digests:
        found[digest.id] = folder / f"{digest.id}.html"
        found[digest.id].write_text(email_mime.bodies(archive, digest).html, encoding="utf-8")
    return found


@pytest.mark.chromium
@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_and_every_heading_shows(browser: Browser, pages: dict[str, Path], width: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    session = browser.page(width)
    for digest_id, path in pages.items():
        browser.visit(session, path.as_uri())
        seen = browser.evaluate(session, MEASURE)
        assert seen["width"] == width, digest_id
        assert seen["scrollWidth"] <= width, (digest_id, seen["scrollWidth"])
        assert seen["outside"] == [], (digest_id, seen["outside"][:5])
        assert seen["hidden"] == [] and seen["headings"] >= 3, (digest_id, seen["hidden"])
        requests = [e["request"]["url"] for e in browser.events("Network.requestWillBeSent", session)]
        assert [url for url in requests if not url.startswith(("file:", "data:", "about:"))] == [], digest_id
        png = browser.screenshot(session, width, seen["height"])
        assert png.startswith(b"\x89PNG")
        (SCREENSHOTS / f"{digest_id}-{width}.png").write_bytes(png)


@pytest.mark.chromium
def test_the_column_is_600px_at_most_and_fills_a_phone(browser: Browser, pages: dict[str, Path]) -> None:
    wrapper = "(() => { const b = document.querySelector('.wrapper').getBoundingClientRect(); " \
              "return [b.left, b.width]; })()"
    wide = browser.page(1000)
    browser.visit(wide, pages["001"].as_uri())
    left, column = browser.evaluate(wide, wrapper)
    assert column == 600 and left == 200  # centred
    phone = browser.page(360)
    browser.visit(phone, pages["001"].as_uri())
    assert browser.evaluate(phone, wrapper) == [0, 360]
    padding = browser.evaluate(phone, "getComputedStyle(document.querySelector('.wrapper')).paddingLeft")
    assert padding == "14px"  # the @media rule, kept in <style>, beats the inline style


@pytest.mark.chromium
def test_every_word_is_inside_the_one_main_landmark(browser: Browser, pages: dict[str, Path]) -> None:
    """axe-core's landmark-one-main and region rules, read from chromium's own accessibility tree."""
    session = browser.page(600)
    browser.call("Accessibility.enable", session=session)
    for digest_id, path in pages.items():
        browser.visit(session, path.as_uri())
        nodes = browser.call("Accessibility.getFullAXTree", session=session)["nodes"]
        by_id = {node["nodeId"]: node for node in nodes}

        def role(node: dict[str, Any]) -> str:
            return str(node.get("role", {}).get("value", ""))

        def inside_main(node: dict[str, Any]) -> bool:
            while node is not None:
                if role(node) == "main":
                    return True
                node = by_id.get(node.get("parentId", ""))  # type: ignore[assignment]
            return False

        assert [role(n) for n in nodes if role(n) == "main"] == ["main"], digest_id
        words = [n for n in nodes if role(n) == "StaticText" and not n.get("ignored")]
        assert words and all(inside_main(n) for n in words), (digest_id, [
            n.get("name", {}).get("value") for n in words if not inside_main(n)][:5])
