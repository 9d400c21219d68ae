"""Every HTML email in a real browser (Debian's headless chromium) at 360px and 600px.

One chromium process for all the pages, driven over the DevTools protocol on a pipe by the client the
benchmark uses too (bench/chromium.py; no extra package): each page is measured in place (no horizontal overflow, every heading visible, no
request leaves the machine) and photographed whole into build/screenshots/email/ for people to
look at.
"""
from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DIGESTS, ROOT, TEMPLATES, need

from bench.chromium import Browser

from pipeline.check.archive import load_archive
from pipeline.render.email import mime as email_mime

SCREENSHOTS = ROOT / "build" / "screenshots" / "email"
WIDTHS = (360, 600)

MEASURE = """(() => {
  const width = window.innerWidth;
  const outside = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;  // not rendered
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
    session = browser.tab(width, 800, network=True)
    for digest_id, path in pages.items():
        browser.visit(session, path.as_uri())
        seen = browser.evaluate(session, MEASURE)
        assert seen["width"] == width, digest_id
        assert seen["scrollWidth"] <= width, (digest_id, seen["scrollWidth"])
        assert seen["outside"] == [], (digest_id, seen["outside"][:5])
        assert seen["hidden"] == [] and seen["headings"] >= 3, (digest_id, seen["hidden"])
        requests = [e["request"]["url"] for e in browser.taken("Network.requestWillBeSent", session)]
        assert [url for url in requests if not url.startswith(("file:", "data:", "about:"))] == [], digest_id
        png = browser.screenshot(session, width, seen["height"])
        assert png.startswith(b"\x89PNG")
        (SCREENSHOTS / f"{digest_id}-{width}.png").write_bytes(png)


@pytest.mark.chromium
def test_the_column_is_600px_at_most_and_fills_a_phone(browser: Browser, pages: dict[str, Path]) -> None:
    wrapper = "(() => { const b = document.querySelector('.wrapper').getBoundingClientRect(); " \
              "return [b.left, b.width]; })()"
    wide = browser.tab(1000, 800)
    browser.visit(wide, pages["001"].as_uri())
    left, column = browser.evaluate(wide, wrapper)
    assert column == 600 and left == 200  # centred
    phone = browser.tab(360, 800)
    browser.visit(phone, pages["001"].as_uri())
    assert browser.evaluate(phone, wrapper) == [0, 360]
    padding = browser.evaluate(phone, "getComputedStyle(document.querySelector('.wrapper')).paddingLeft")
    assert padding == "14px"  # the @media rule, kept in <style>, beats the inline style


@pytest.mark.chromium
def test_every_word_is_inside_the_one_main_landmark(browser: Browser, pages: dict[str, Path]) -> None:
    """axe-core's landmark-one-main and region rules, read from chromium's own accessibility tree."""
    session = browser.tab(600, 800)
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
