"""The preview row of `make bench`: from saving a digest to a real browser showing its new rendering.

`clinics serve` runs on the benchmark's archive, started from the cache of the build before it;
a headless chromium, driven over the DevTools protocol, has the edited digest's page open. Each
edit appends a paragraph with a word of its own to a digest; the time runs from just before the
file is written to when the page shows the word in its text email *and* its HTML email has
loaded (the page marks that on <body>: data-shown = data-generation). Digests are chosen across
the archive; each page is opened (and connected) before its edit, outside the time.

Run alone: python -m bench.preview [N] (a fresh archive and build of N calls, default 1000).
"""
from __future__ import annotations

import json
import math
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .chromium import Browser, find_chromium
from .corpus import ROOT, write_corpus

PY = sys.executable
SHOWN = """new Promise(resolve => {
  const done = () => (document.getElementById('text') || {}).textContent?.includes(%s)
      && document.body.dataset.shown === document.body.dataset.generation;
  if (done()) return resolve(true);
  const observer = new MutationObserver(() => { if (done()) { observer.disconnect(); resolve(true); } });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})"""
CONNECTED = ("new Promise(r => { const s = new EventSource('/events'); "
             "s.addEventListener('hello', () => { s.close(); r(true); }); })")


def start(corpus: Path, out: Path) -> tuple[subprocess.Popen[str], str]:
    """Start `clinics serve` on `corpus`; return the process and its address once it watches."""
    process = subprocess.Popen([PY, "-m", "pipeline", "serve", "--digests", str(corpus), "--out", str(out),
                                "--port", "0"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    deadline = time.monotonic() + 600
    said = []
    while time.monotonic() < deadline and select.select([process.stderr], [], [], 600)[0]:
        line = process.stderr.readline()
        if not line:
            break
        said.append(line)
        if "clinics: previewing" in line:
            return process, line.split(" at ", 1)[1].split(" ", 1)[0].rstrip("/")
    process.kill()
    raise SystemExit("bench: the preview did not start:\n" + "".join(said))


def measure_edits(corpus: Path, out: Path, edits: int = 20) -> dict[str, object]:
    """Return the milliseconds from each save to the browser showing it, and their median and 95th percentile."""
    chromium = find_chromium()
    if chromium is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "chromium"], check=True, capture_output=True)
        chromium = find_chromium()
    assert chromium is not None
    started = time.perf_counter()
    process, url = start(corpus, out)
    startup = time.perf_counter() - started
    profile = Path(tempfile.mkdtemp(prefix="clinics-bench-chromium-"))
    browser = Browser(chromium, profile)
    files = sorted(corpus.glob("*.md"))
    times_ms = []
    try:
        browser.call("Browser.getVersion", timeout=60)
        tab = browser.tab()
        for n in range(edits):
            target = files[(n * 7919) % len(files)]  # spread over the archive, never the same twice in a row
            browser.visit(tab, f"{url}/digest/{target.name.removesuffix('.md')}", timeout=120)
            browser.evaluate(tab, CONNECTED, timeout=60)
            word = f"benchedit{os.getpid()}x{n:02d}"  # new to the page: shown only once the edit is
            assert word not in target.read_text(encoding="utf-8")
            waiting = browser.send_evaluate(tab, SHOWN % json.dumps(word))
            browser.call("Runtime.evaluate", {"expression": "1"}, tab)  # the wait is armed in the page
            begin = time.perf_counter()
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(f"\n* Volunteer:\n    * Asked about {word} while the preview was open.\n")
            if browser.value(waiting, timeout=60) is not True:
                raise SystemExit(f"bench: the preview did not show edit {n}")
            times_ms.append(1000 * (time.perf_counter() - begin))
    finally:
        browser.close()
        shutil.rmtree(profile, ignore_errors=True)
        process.send_signal(signal.SIGINT)
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    ordered = sorted(times_ms)
    return {"edits": edits, "ms": times_ms, "median_ms": _median(ordered),
            "p95_ms": ordered[math.ceil(0.95 * len(ordered)) - 1], "startup_s": startup}


def _median(ordered: list[float]) -> float:
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    work = Path(tempfile.mkdtemp(prefix="clinics-bench-preview-"))
    try:
        corpus = write_corpus(work / "digests", n)
        subprocess.run([PY, "-m", "pipeline", "build", "--digests", str(corpus), "--out", str(work / "out")],
                       cwd=ROOT, check=True, capture_output=True, env={**os.environ})
        row = measure_edits(corpus, work / "out")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
