"""Over every language of site.yaml (and the test corpus's Arabic): no English word of site.yaml in its outputs.

Each language gets a digest and a scheduled call; the HTML email, the Meta page and the announcement
are read with whatever is marked lang="en" (catalog text and a topic lacking the language) left out:
what remains holds no word of site.yaml's English sentences that the language's own do not hold.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import DIGESTS, ROOT, TEMPLATES

from pipeline.check.archive import load_archive
from pipeline.render.email import mime as email_mime
from pipeline.render.email.announce import announce
from pipeline.render.wiki import page as wikitext

SITE = ROOT / "tests" / "cases" / "languages" / "digests" / "site.yaml"  # the project's, and Arabic
LANGUAGES = sorted(yaml.safe_load(SITE.read_text(encoding="utf-8"))["languages"])
NAMES = {"Wikimedia", "Meta", "Wiki", "Google", "Calendar", "Clinics", "Foundation"}  # names, and the program's


class _Unmarked(HTMLParser):
    """The visible text of an HTML document, leaving out every element marked lang="en"."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.stack: list[bool] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "meta", "img", "hr", "link", "input"):
            return
        english = dict(attrs).get("lang") == "en" or tag in ("style", "title", "head")
        self.stack.append(english)
        self.depth += english

    def handle_endtag(self, tag: str) -> None:
        if tag in ("br", "meta", "img", "hr", "link", "input") or not self.stack:
            return
        self.depth -= self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.text.append(data)


def unmarked_html(html: str) -> str:
    reader = _Unmarked()
    reader.feed(html)
    return " ".join(reader.text)


def unmarked_wikitext(text: str) -> str:
    text = re.sub(r'<span lang="en" dir="ltr">.*?</span>', " ", text)
    text = re.sub(r"\[\[[^|\]]*\|", "[[", text)  # a link's target is a title, not text
    text = re.sub(r"\[\[Category:[^\]]*\]\]", " ", text)
    return re.sub(r"https://\S+", " ", text)


def words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{4,}", text))


@pytest.fixture(scope="module")
def english() -> set[str]:
    site = yaml.safe_load(SITE.read_text(encoding="utf-8"))
    return {w for s in site["languages"]["en"]["strings"].values() for w in words(s)} - NAMES


@pytest.mark.parametrize("code", [code for code in LANGUAGES if code != "en"])
def test_no_english_word_of_site_yaml_in_an_output_unless_marked(code: str, english: set[str],
                                                                 tmp_path: Path) -> None:
    folder = tmp_path / "digests"
    folder.mkdir()
    shutil.copy(SITE, folder / "site.yaml")
    shutil.copy(DIGESTS / "catalog.yaml", folder / "catalog.yaml")
    site = yaml.safe_load(SITE.read_text(encoding="utf-8"))
    own = site["languages"][code]["strings"]
    (folder / f"011.{code}.md").write_text(
        f"---\nnumber: 11\ndate: 2020-10-20\nlanguage: {code}\ntime: \"15:00\"\nintro: false\n"
        f"attendance: {{staff: 3, volunteers: 12}}\n---\n## {own['tools_heading']}\n\n* {own['kind_tool']}:\n"
        f"    * {own['footer']} [Quarry][]\n", encoding="utf-8")
    (folder / "schedule.yaml").write_text(
        f"- number: 12\n  start: 2020-10-27T15:00:00Z\n  link: https://meet.example.org/12\n  language: {code}\n"
        "  scheduled: {topic: {en: Strategy prioritization}, presenter: Kaarel Vaidla}\n"
        "  note: {en: Open topics; the call is held in another language.}\n", encoding="utf-8")
    archive = load_archive(folder, TEMPLATES, dt.date(2026, 1, 1))
    assert [d for d in archive.diagnostics if d.severity.value == "error"] == []
    assert {d.code for d in archive.diagnostics} >= {"missing-translation"}  # the lacking texts are warned about
    digest = archive.digests[0]
    made = announce(archive, archive.calls[0])
    outputs = {
        "HTML email": unmarked_html(email_mime.bodies(archive, digest).html),
        "Meta page": unmarked_wikitext(wikitext.page_text(archive, digest)),
        "announcement": unmarked_html(made.bodies.html),
    }
    allowed = words(" ".join(own.values())) | {"Quarry", "Kaarel", "Vaidla", "meet", "example"}
    for name, text in outputs.items():
        assert words(text) & english - allowed == set(), (code, name)
    assert "Open topics" in made.bodies.html and 'lang="en"' in made.bodies.html  # there, and marked
