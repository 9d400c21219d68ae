"""A running `clinics serve` on a copy of the example archive, and a headless chromium to look at it."""
from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT, need

from bench.chromium import Browser, find_chromium


@dataclass
class Server:
    url: str
    digests: Path
    out: Path
    process: subprocess.Popen[str]


def start_server(work: Path, *extra: str) -> Server:
    """Start `clinics serve --port 0` in `work` (holding digests/); return it once it listens and watches."""
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "serve", "--digests", "digests", "--out", "build", "--port", "0",
         "--today", "2026-01-01", *extra],
        cwd=work, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert process.stderr is not None
    deadline = time.monotonic() + 120
    said = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        line = process.stderr.readline()
        if not line:
            break
        said.append(line)
        if "clinics: previewing" in line:
            url = line.split(" at ", 1)[1].split(" ", 1)[0].rstrip("/")
            return Server(url, work / "digests", work / "build", process)
    process.kill()
    raise AssertionError("the preview did not start: " + "".join(said) + (process.stderr.read() or ""))


def stop_server(server: Server) -> str:
    """Stop the server as Ctrl-C does; return what it said on standard error after starting."""
    server.process.send_signal(signal.SIGINT)
    try:
        _, err = server.process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        server.process.kill()
        _, err = server.process.communicate()
    return err


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Server]:
    """Return a preview of a copy of the example archive; stopped after the test, which must leave it running."""
    shutil.copytree(DIGESTS, tmp_path / "digests")
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        assert server.process.poll() is None, "the preview stopped during the test"
        said = stop_server(server)
        assert "Traceback" not in said, said
        assert server.process.returncode == 0, said


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    chromium = find_chromium()
    need(chromium is not None, "Debian's chromium is not installed (apt-get install chromium)")
    assert chromium is not None
    running = Browser(chromium, tmp_path_factory.mktemp("chromium-profile"))
    try:
        running.call("Browser.getVersion", timeout=60)
        yield running
    finally:
        running.close()
