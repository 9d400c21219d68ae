"""A Russian and an Arabic digest (tests/cases/languages) in chromium and in the local MediaWiki: direction, alignment."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT, TEMPLATES
from mediawiki import LocalWiki, mediawiki  # noqa: F401 - the session's wiki
from test_email_browser import Browser, browser  # noqa: F401 - one chromium for the module (bench/chromium.py)

from pipeline.check.archive import load_archive
from pipeline.model.archive import Archive
from pipeline.render.email import mime as email_mime
from pipeline.render.wiki import page as wikitext

CASE = ROOT / "tests" / "cases" / "languages" / "digests"

# Where a paragraph's text sits in its box: the text's own extent, measured with a Range.
ALIGNMENT = """((selector) => {
  const el = document.querySelector(selector);
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(el);
  const text = range.getBoundingClientRect();
  const left = box.left + parseFloat(style.paddingLeft), right = box.right - parseFloat(style.paddingRight);
  return {direction: style.direction, align: style.textAlign, gapLeft: text.left - left, gapRight: right - text.right};
})"""


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Archive:
    folder = tmp_path_factory.mktemp("languages") / "digests"
    shutil.copytree(CASE, folder)
    shutil.copy(DIGESTS / "catalog.yaml", folder / "catalog.yaml")
    return load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))


def _email(archive: Archive, digest_id: str, folder: Path) -> Path:
    digest = next(d for d in archive.digests if d.id == digest_id)
    path = folder / f"{digest_id}.html"
    path.write_text(email_mime.bodies(archive, digest).html, encoding="utf-8")
    return path


def _measure(browser: Browser, session: str, selector: str) -> dict:  # noqa: F811
    return browser.evaluate(session, f"{ALIGNMENT}({selector!r})")


@pytest.mark.chromium
def test_the_arabic_email_reads_right_to_left_and_the_russian_left_to_right(
        browser: Browser, archive: Archive, tmp_path: Path) -> None:  # noqa: F811
    session = browser.tab(600, 800)
    browser.visit(session, _email(archive, "011.ar", tmp_path).as_uri())
    assert browser.evaluate(session, "document.documentElement.dir") == "rtl"
    dateline = _measure(browser, session, ".dateline")
    assert dateline["direction"] == "rtl" and dateline["gapRight"] < 1 < dateline["gapLeft"]  # at the right edge
    english = browser.evaluate(session, "getComputedStyle(document.querySelector('[lang=en]')).direction")
    assert english == "ltr"  # the catalog entry that lacks Arabic, read left to right
    browser.visit(session, _email(archive, "011.ru", tmp_path).as_uri())
    assert browser.evaluate(session, "document.documentElement.dir") == "ltr"
    dateline = _measure(browser, session, ".dateline")
    assert dateline["direction"] == "ltr" and dateline["gapLeft"] < 1 < dateline["gapRight"]


@pytest.mark.chromium
@pytest.mark.mediawiki
def test_the_arabic_page_reads_right_to_left_on_the_wiki(
        browser: Browser, archive: Archive, mediawiki: LocalWiki, tmp_path: Path) -> None:  # noqa: F811
    digest = next(d for d in archive.digests if d.id == "011.ar")
    text = wikitext.page_text(archive, digest)
    assert text.startswith('<div lang="ar" dir="rtl">\n')
    rendered = mediawiki.parse(text, "Wikimedia Clinics/011/ar").html
    assert '<div lang="ar" dir="rtl">' in rendered and '<span lang="en" dir="ltr">' in rendered
    page = tmp_path / "011.ar.wiki.html"
    page.write_text(f'<!DOCTYPE html><html lang="en" dir="ltr"><head><meta charset="utf-8"></head>'
                    f'<body style="width:560px">{rendered}</body></html>', encoding="utf-8")
    session = browser.tab(600, 800)
    browser.visit(session, page.as_uri())
    first = _measure(browser, session, "div[dir=rtl] p")
    assert first["direction"] == "rtl" and first["gapRight"] < 1
    heading = _measure(browser, session, "div[dir=rtl] h2")
    assert heading["direction"] == "rtl" and heading["gapRight"] < 1 < heading["gapLeft"]
    english = browser.evaluate(session, "getComputedStyle(document.querySelector('div[dir=rtl] [lang=en]')).direction")
    assert english == "ltr"
    russian = wikitext.page_text(archive, next(d for d in archive.digests if d.id == "011.ru"))
    assert "<div" not in russian  # a left-to-right page, like the wiki's own language, needs no wrapper
