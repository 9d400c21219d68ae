"""The HTML email: structure, links, the inlined stylesheet, nothing remote, and the size warning."""
from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import cssutils
import pytest
import yaml
from conftest import DIGESTS, TEMPLATES, digest_text, run_cli
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector

from pipeline.check.archive import load_archive
from pipeline.model.diagnostics import Diagnostic, Severity
from pipeline.render.email import html as email_html, mime as email_mime

TODAY = dt.date(2026, 1, 1)


@pytest.fixture(scope="module")
def example() -> dict[str, email_mime.Bodies]:
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    return {digest.id: email_mime.bodies(archive, digest) for digest in archive.digests}


def tree(page: str) -> lxml_html.HtmlElement:
    return lxml_html.document_fromstring(page)


def style_rules() -> list[tuple[str, list[str]]]:
    """Return (selector, property names) for each rule outside @media in the stylesheet."""
    cssutils.log.setLevel(logging.CRITICAL)
    sheet = cssutils.parseString(email_html.stylesheet(), validate=False)
    rules = []
    for rule in sheet:
        if rule.type == rule.STYLE_RULE:
            names = [prop.name for prop in rule.style]
            rules += [(selector.strip(), names) for selector in rule.selectorText.split(",")]
    return rules


def declarations(style: str) -> dict[str, str]:
    return {name.strip(): value.strip() for name, _, value in
            (part.partition(":") for part in style.split(";")) if name.strip()}


def test_the_stylesheet_has_no_pseudo_classes_imports_fonts_or_urls() -> None:
    css = email_html.stylesheet()
    selectors = [selector for selector, _ in style_rules()]
    assert selectors and not [s for s in selectors if ":" in s or "#" in s or "*" in s]
    assert not re.search(r"@import|@font-face|url\(", css)
    assert re.search(r"max-width:\s*600px", css)


KITCHEN_SINK = """## Every kind of block

### Three
#### Four
##### Five
###### Six

> A quote with `code`.

    a code block

* Item one

    A second paragraph in a loose item.

    1. A numbered point under it.

---

A [link](https://example.org/).
"""


def test_every_element_the_stylesheet_styles_has_the_style_inline(
        example: dict[str, email_mime.Bodies], scratch: Path) -> None:
    (scratch / "001.md").write_text(digest_text(1, "", KITCHEN_SINK), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    pages = {**example, "kitchen sink": email_mime.bodies(archive, archive.digests[0])}
    rules = style_rules()
    matched = set()
    for digest_id, made in pages.items():
        root = tree(made.html)
        for selector, names in rules:
            for el in CSSSelector(selector)(root):
                matched.add(selector)
                inline = declarations(el.get("style", ""))
                missing = [name for name in names if name not in inline]
                assert not missing, f"{digest_id}: <{el.tag}> matched by '{selector}' lacks {missing}"
    assert {selector for selector, _ in rules} == matched


def test_the_more_specific_rule_wins_inline(example: dict[str, email_mime.Bodies]) -> None:
    root = tree(example["001"].html)
    nested = root.cssselect("li ul")[0]
    assert declarations(nested.get("style"))["margin"] == "6px 0 0"
    footer_p = root.cssselect(".footer p")[0]
    assert declarations(footer_p.get("style"))["margin"] == "0 0 8px"


def test_media_queries_stay_in_a_style_block(example: dict[str, email_mime.Bodies]) -> None:
    root = tree(example["001"].html)
    styles = root.findall(".//head/style")
    assert len(styles) == 1
    assert "@media screen and (max-width: 480px)" in styles[0].text
    assert "padding: 16px 14px 24px !important" in styles[0].text
    assert not root.findall(".//body//style")


def test_every_href_is_absolute_https_or_mailto(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        root = tree(made.html)
        hrefs = [el.get("href") for el in root.iter() if el.get("href") is not None]
        assert hrefs, digest_id
        bad = [h for h in hrefs if not re.match(r"(https://[^/\s]+\.[^/\s]+(/\S*)?|mailto:[^@\s]+@\S+)\Z", h)]
        assert not bad, (digest_id, bad)
        assert not [el for el in root.iter() if el.get("data-catalog") is not None], digest_id


def test_nothing_runs_or_loads_from_elsewhere(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        root = tree(made.html)
        assert not root.xpath("//script|//img|//iframe|//object|//embed|//link|//form|//video|//audio"), digest_id
        assert not root.xpath("//@src|//@srcset|//@background"), digest_id
        assert not [name for el in root.iter() for name in el.attrib if name.startswith("on")], digest_id
        assert "url(" not in made.html and "@font-face" not in made.html, digest_id


def test_headings_one_h1_then_a_h2_per_section(example: dict[str, email_mime.Bodies]) -> None:
    for digest_id, made in example.items():
        root = tree(made.html)
        doc = made.letter
        assert [h.text_content() for h in root.iter("h1")] == [doc.title], digest_id
        assert [h.text_content() for h in root.iter("h2")] == [
            *(s.heading for s in doc.sections), *(part.heading for part in made.letter.appendix)], digest_id
        levels = [int(h.tag[1]) for h in root.iter("h1", "h2", "h3", "h4", "h5", "h6")]
        assert all(b <= a + 1 for a, b in zip(levels, levels[1:])), (digest_id, "a heading level is skipped")


def test_lists_are_real_lists(example: dict[str, email_mime.Bodies]) -> None:
    root = tree(example["001"].html)
    speaker = root.xpath("//li[starts-with(normalize-space(text()), 'Asaf (WMF)')]")[0]
    assert speaker.getparent().tag == "ul" and speaker.find("ul") is not None
    assert len(speaker.find("ul").findall("li")) == 4
    steps = tree(example["008"].html).xpath("//ol/li")
    assert [li.text_content().split()[0] for li in steps] == ["Write", "Wrap", "Ask", "Share"]


def test_header_opening_and_footer(example: dict[str, email_mime.Bodies]) -> None:
    root = tree(example["006.es"].html)
    wrapper = root.cssselect(".wrapper")[0]
    paragraphs = [p for p in wrapper if p.tag == "p"]
    assert root.find(".//h1").text_content() == "Resumen de la Clínica Wikimedia n.º 006"
    assert paragraphs[0].text_content() == "16 de julio de 2020"
    assert paragraphs[1].text_content() == "Estimados wikimedistas:"
    assert "celebrada el 16 de julio de 2020" in paragraphs[2].text_content()
    assert [(a.text_content(), a.get("href")) for a in paragraphs[3].iter("a")] == [
        ("English", "https://meta.wikimedia.org/wiki/Wikimedia_Clinics/006/en"),
        ("Wikimedia Clinics/006", "https://meta.wikimedia.org/wiki/Wikimedia_Clinics/006")]
    footer = root.cssselect(".footer a")[0]
    assert (footer.text_content(), footer.get("href")) == (
        "Archivo de resúmenes de llamadas anteriores", "https://meta.wikimedia.org/wiki/Wikimedia_Clinics")
    assert root.get("lang") == "es" and wrapper.get("lang") == "es"


def test_no_text_is_hidden_from_the_reader(example: dict[str, email_mime.Bodies]) -> None:
    """Hidden text (a preheader in the background's colour) costs spam score on every message: none is left."""
    for made in example.values():
        root = tree(made.html)
        for el in root.iter("*"):
            style = declarations(el.get("style") or "")
            assert style.get("display") != "none" and "mso-hide" not in style, lxml_html.tostring(el)[:80]
            assert style.get("font-size") not in ("0", "1px") and style.get("opacity") != "0"


def test_what_the_nu_html_checker_reported_is_gone(example: dict[str, email_mime.Bodies]) -> None:
    """"meta" without "content", and "bgcolor" on <div> and <code> (added by the inliner), were errors."""
    for digest_id, made in example.items():
        root = tree(made.html)
        assert all(meta.get("content") is not None for meta in root.iter("meta")), digest_id
        misplaced = [el.tag for el in root.iter("*") if "bgcolor" in el.attrib
                     and el.tag not in ("body", "table", "tr", "td", "th")]
        assert misplaced == [], (digest_id, misplaced)
        assert root.find("body").get("bgcolor") == "#f8f9fa"  # where old Outlook reads the background
    assert tree(example["007"].html).cssselect("th")[0].get("bgcolor")  # a table cell keeps it


def test_an_email_gmail_would_clip_is_a_warning(scratch: Path) -> None:
    paragraph = "* Volunteer:\n    * " + "A long remark about the state of things in the community. " * 8 + "\n"
    (scratch / "001.md").write_text(digest_text(1, "", "## A very long call\n\n" + paragraph * 220),
                                    encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    outputs = list(email_mime.render(archive, archive.digests[0]))
    html = next(o.data for o in outputs if not isinstance(o, Diagnostic) and o.path == "email/001.html")
    assert len(html) > email_mime.GMAIL_CLIP_BYTES
    [warning] = [o for o in outputs if isinstance(o, Diagnostic)]
    assert warning.severity is Severity.WARNING and warning.code == "email-size"
    assert warning.format().startswith(
        f"{archive.digests[0].path}: warning[email-size]: the HTML email of 001 is {len(html) / 1000:.0f} KB; "
        "Gmail clips messages over 102 KB")


def test_a_normal_email_is_no_warning(example: dict[str, email_mime.Bodies]) -> None:
    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    for digest in archive.digests:
        assert email_mime.size_warning(digest, example[digest.id].html) is None


def test_the_build_reports_the_size_warning(scratch: Path, tmp_path: Path) -> None:
    paragraph = "* Volunteer:\n    * " + "A long remark about the state of things in the community. " * 8 + "\n"
    (scratch / "001.md").write_text(digest_text(1, "", "## A very long call\n\n" + paragraph * 220),
                                    encoding="utf-8")
    catalog = yaml.safe_load((scratch / "catalog.yaml").read_text(encoding="utf-8"))
    cited = {"friendly-space-policy", "wikimedia-resource-center", "trust-and-safety"}  # by the introduction
    (scratch / "catalog.yaml").write_text(yaml.safe_dump([e for e in catalog if e["id"] in cited]),
                                          encoding="utf-8")  # no uncited entries: the one warning is ours
    out = tmp_path / "out"
    result = run_cli("build", "--digests", scratch, "--out", out, "--today", "2026-01-01")
    assert result.status == 0, result.err
    assert "0 errors, 1 warning" in result.err
    assert re.search(r"digests/001\.md: warning\[email-size\]: the HTML email of 001 is \d+ KB; Gmail clips",
                     result.err)
    assert (out / "email" / "001.html").exists()
    strict = run_cli("build", "--digests", scratch, "--out", tmp_path / "strict", "--today", "2026-01-01",
                     "--strict")
    assert strict.status == 1 and "warning[email-size]" in strict.err
    assert not (tmp_path / "strict" / "email").exists()
