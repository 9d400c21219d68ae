"""Nothing a source says becomes markup, a header or a path: raw HTML, line breaks, templates, names.

- Raw HTML in notes (script, img onerror, style, iframe, comments, javascript: anchors, svg
  onload …) is text: the HTML email holds no such element, no on* attribute and no
  javascript: address, and shows the same characters as the wikitext, read offline by
  mwparserfromhell and online by the real MediaWiki, which renders no tag either.
- No source text adds or breaks a header: CR, LF, U+0085, U+2028 and U+2029 in every text
  that reaches a header (topic titles and the subject pattern, the sender, the list address,
  the site title) are refused or made one line; the header set is exactly the expected one.
- The HTML template runs with autoescape and StrictUndefined.
- A language, a list name or a file name that would name a path outside build/ is refused.
"""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import jinja2
import pytest
from lxml import etree as lxml_etree
from lxml import html as lxml_html

from conftest import DIGESTS, TEMPLATES, digest_text
from mediawiki import LocalWiki, mediawiki, read_html  # noqa: F401
from pipeline.render.email import html as email_html
from pipeline.render.email import mime as email_mime
from pipeline.render.wiki import page as wikitext
from pipeline.check.archive import load_archive
from pipeline.read.archive import load_settings
from pipeline.model.diagnostics import Diagnostic, has_errors
from pipeline.model.digest import Digest
from test_properties import (  # noqa: F401
    Pipeline, WikiReading, collapse, digest, frameless_html, html_text, page_html_text, pipeline)

TODAY = dt.date(2026, 1, 1)

# ------------------------------------------------------------------ raw HTML in notes

HOSTILE = {
    "script": "<script>alert(1)</script>",
    "img onerror": "<img src=x onerror=alert(1)>",
    "style": "<style>body { display: none }</style>",
    "iframe": '<iframe src="https://evil.example/"></iframe>',
    "comment": "<!-- hidden --> shown",
    "unclosed comment": "<!-- hidden to the end",
    "javascript anchor": '<a href="javascript:alert(1)">click</a>',
    "svg onload": "<svg onload=alert(1)>",
    "object and embed": '<object data="x.swf"></object><embed src="x.swf">',
    "form": '<form action="https://evil.example/"><input name=p></form>',
    "meta refresh": '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
    "base": '<base href="https://evil.example/">',
    "event on a harmless tag": "<b onmouseover=alert(1)>bold</b>",
    "escaped script": "&lt;script&gt;alert(1)&lt;/script&gt;",
    "MediaWiki extension tags": "<ref>x</ref> <nowiki>y</nowiki> <pre>z</pre> <gallery>",
}
# Where a note puts it: in running text, as a block of its own (Markdown's HTML block), in a
# list item, in a topic's title (the subject too), in a subheading, a link label, emphasis, code.
PLACES = {
    "paragraph": "## Topic\n\nBefore {x} after.\n",
    "block": "## Topic\n\n{x}\n\nAfter.\n",
    "list item": "## Topic\n\n* Volunteer:\n    * {x}\n",
    "title": "## Topic {x}\n\nNotes.\n",
    "subheading": "## Topic\n\nNotes.\n\n### {x}\n\nMore.\n",
    "link label": "## Topic\n\nSee [{x}](https://example.org/page).\n",
    "emphasis": "## Topic\n\nSee *{x}* and **{x}**.\n",
    "code": "## Topic\n\nSee `{x}`.\n",
}
CASES = [(name, place) for name in HOSTILE for place in PLACES]
# What may not stand in an email or a wiki page, whatever a note says.
FORBIDDEN = frozenset("script style iframe frame frameset img svg math object embed applet form input button "
                      "textarea select base link video audio source template".split())
_SCHEMES = ("http://", "https://", "mailto:", "#", "/")


def notes(name: str, place: str) -> str:
    """Return the topics of a digest that holds snippet `name` in `place`."""
    return PLACES[place].format(x=HOSTILE[name])


def markup_problems(root: lxml_html.HtmlElement, allowed_style: bool = False) -> list[str]:
    """Return what in `root` is markup no note may bring: forbidden elements, on* attributes, odd links."""
    found = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        if el.tag in FORBIDDEN and not (allowed_style and el.tag == "style" and el.getparent().tag == "head"):
            found.append(f"<{el.tag}>")
        if el.tag == "meta" and el.getparent().tag != "head":
            found.append("<meta> in the body")
        for attribute, value in el.attrib.items():
            if attribute.lower().startswith("on"):
                found.append(f"{attribute}= on <{el.tag}>")
            if attribute in ("href", "src", "action", "formaction", "data") and \
                    not value.strip().lower().startswith(_SCHEMES):
                found.append(f"{attribute}={value!r} on <{el.tag}>")
    return found


def comments(page: str) -> list[str]:
    """Return the text of the comments in an HTML page."""
    return [c.text or "" for c in lxml_html.document_fromstring(page).iter(lxml_etree.Comment)]


@dataclass(frozen=True)
class Case:
    digest: Digest
    bodies: email_mime.Bodies
    wikitext: str
    frameless: str  # the HTML email without its frame, as the wiki page holds it


@pytest.fixture(scope="module")
def rendered(pipeline: Pipeline) -> dict[tuple[str, str], Case]:  # noqa: F811
    """Return the outputs of every case, by (snippet, place)."""
    found = {}
    for name, place in CASES:
        digest_, errors = pipeline.read(digest(notes(name, place)).markdown)
        assert digest_ is not None and not errors, (name, place, errors)
        pipeline.archive.replace_digests([digest_])
        found[name, place] = Case(digest_, email_mime.bodies(pipeline.archive, digest_),
                                  wikitext.page_text(pipeline.archive, digest_),
                                  frameless_html(pipeline.archive, digest_))
    return found


@pytest.mark.parametrize("name, place", CASES)
def test_raw_html_is_text_in_the_html_email(rendered: dict[tuple[str, str], Case], name: str, place: str) -> None:
    html_ = rendered[name, place].bodies.html
    assert not markup_problems(lxml_html.document_fromstring(html_), allowed_style=True)
    assert [c for c in comments(html_) if not c.startswith(("[if mso]", "[endif]"))] == []
    assert collapse(HOSTILE[name]) in html_text(html_)


@pytest.mark.parametrize("name, place", CASES)
def test_raw_html_is_text_in_the_wikitext(pipeline: Pipeline, rendered: dict[tuple[str, str], Case],  # noqa: F811
                                          name: str, place: str) -> None:
    case = rendered[name, place]
    reading = WikiReading(case.wikitext, pipeline.archive.site.wiki.category)  # raises on markup it does not expect
    assert collapse(HOSTILE[name]) in reading.text
    assert reading.text == page_html_text(case.frameless)


@pytest.mark.parametrize("name, place", CASES)
def test_raw_html_is_text_in_the_text_email(rendered: dict[tuple[str, str], Case], name: str, place: str) -> None:
    text = rendered[name, place].bodies.text  # no snippet holds "*", "`" or "[": these are the text email's marks
    assert collapse(HOSTILE[name]) in collapse(re.sub(r" \[\d+\]", "", text).replace("*", "").replace("`", ""))


@pytest.mark.mediawiki
def test_raw_html_is_text_on_the_real_wiki(rendered: dict[tuple[str, str], Case],
                                           mediawiki: LocalWiki) -> None:  # noqa: F811
    pages = [rendered[case].wikitext for case in CASES]
    failures = []
    for (name, place), page, html_ in zip(CASES, pages, mediawiki.parse_many(pages)):
        root = lxml_html.document_fromstring(f"<html><body>{html_}</body></html>")
        for toc in root.xpath("//*[@id='toc']"):  # MediaWiki's own table of contents (and its checkbox)
            toc.drop_tree()
        problems = markup_problems(root)
        problems += [f"comment {c!r}" for c in comments(html_)]
        shown = read_html(html_).text
        if collapse(HOSTILE[name]) not in shown:
            problems.append(f"not shown as written: {shown!r}")
        if shown != read_html(rendered[name, place].frameless).text:
            problems.append("not the email's text")
        if problems:
            failures.append(f"{name} in {place}: {problems}\n  wikitext: {page!r}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ headers

BREAKERS = {"CR LF": "\\r\\n", "LF": "\\n", "CR": "\\r", "NEL": "\\x85", "LINE SEPARATOR": "\\u2028",
            "PARAGRAPH SEPARATOR": "\\u2029", "VERTICAL TAB": "\\v", "FORM FEED": "\\f"}  # as YAML escapes
HEADERS = ["Content-Language", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "MIME-Version",
           "Message-ID", "Subject", "To"]
_LINE_BREAKS = re.compile("[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def messages(folder: Path) -> tuple[list[EmailMessage], list[Diagnostic]]:
    """Return the .eml messages the emails stage makes of `folder`, or none and the errors that refuse it."""
    archive = load_archive(folder, TEMPLATES, TODAY)
    if has_errors(archive.diagnostics):
        return [], archive.diagnostics
    found = [email.message_from_bytes(o.data, policy=email.policy.default)
             for d in archive.digests for o in email_mime.render(archive, d) if o.path.endswith(".eml")]
    return found, archive.diagnostics  # type: ignore[return-value]


def assert_headers_hold(folder: Path) -> Iterator[EmailMessage]:
    """Check that `folder` is refused, or that every message has exactly the expected one-line headers.

    Yields each message; no header may name the victim of an injection, victim@example.org.
    """
    found, diagnostics = messages(folder)
    if not found:
        assert has_errors(diagnostics)
        return
    for message in found:
        assert not message.defects, message.defects
        assert sorted(message.keys()) == HEADERS
        for key in HEADERS:
            assert not _LINE_BREAKS.search(str(message[key])), (key, str(message[key]))
        for key in ("From", "To"):
            assert "victim@example.org" not in [a.addr_spec for a in message[key].addresses], str(message[key])
        assert message["From"].addresses[0].addr_spec == "wikimedia-clinics@wikimedia.org"
        yield message


def site_with(scratch: Path, old: str, new: str) -> Path:
    path = scratch / "site.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    (scratch / "001.md").write_text(digest_text(1), encoding="utf-8")
    return scratch


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_the_sender_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    site_with(scratch, "sender: Wikimedia Clinics <wikimedia-clinics@wikimedia.org>",
              f'sender: "Wikimedia Clinics{escape}Bcc: victim@example.org{escape} <wikimedia-clinics@wikimedia.org>"')
    for message in assert_headers_hold(scratch):
        assert message["Bcc"] is None and message["Subject"].startswith("#001: ")


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_a_list_address_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    site_with(scratch, "address: wikimedia-l@lists.wikimedia.org",
              f'address: "wikimedia-l@lists.wikimedia.org{escape}Bcc: victim@example.org"')
    for message in assert_headers_hold(scratch):
        assert message["Bcc"] is None


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_the_subject_pattern_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    site_with(scratch, 'subject: "#{number}: {topics} (Clinic digest)"',
              f'subject: "#{{number}}:{escape}Bcc: victim@example.org{escape}{{topics}} (Clinic digest)"')
    for message in assert_headers_hold(scratch):
        assert message["Subject"] == "#001: Bcc: victim@example.org A topic (Clinic digest)"


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_the_site_title_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    site_with(scratch, "title: Wikimedia Clinics\n", f'title: "Wikimedia Clinics{escape}Bcc: victim@example.org"\n')
    for message in assert_headers_hold(scratch):
        assert re.fullmatch(r"<001\.wikimedia-l\.[0-9a-f]{16}@wikimedia\.org>", message["Message-ID"])


@pytest.mark.parametrize("breaker", ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c"])
def test_a_topic_title_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    # Written in the file: a line break ends the title (the rest is a paragraph), the others are refused.
    (scratch / "001.md").write_bytes(digest_text(1, body=f"## Evil{breaker}Bcc: victim@example.org\n\n"
                                                          "* Volunteer:\n    * A question.\n").encode("utf-8"))
    for message in assert_headers_hold(scratch):
        assert message["Subject"] == "#001: Evil (Clinic digest)"


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_the_scheduled_segment_reaches_no_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    front = (f'scheduled:\n  topic: "Strategy{escape}Bcc: victim@example.org"\n'
             f'  presenter: "Kaarel{escape}X-Injected: 1"\n')
    (scratch / "001.md").write_text(digest_text(1, front), encoding="utf-8")
    for message in assert_headers_hold(scratch):
        body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert "Scheduled segment: Strategy Bcc: victim@example.org, presented by Kaarel X-Injected: 1." in \
            collapse(body)


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_the_language_cannot_add_or_break_a_header(scratch: Path, breaker: str) -> None:
    escape = BREAKERS[breaker]
    (scratch / "001.md").write_text(digest_text(1, f'language: "en{escape}Bcc: victim@example.org"\n'),
                                    encoding="utf-8")
    found, diagnostics = messages(scratch)
    assert not found and any(d.code == "unknown-language" for d in diagnostics)


def test_an_address_with_a_comma_in_its_name_keeps_its_address(scratch: Path) -> None:
    site_with(scratch, "sender: Wikimedia Clinics <wikimedia-clinics@wikimedia.org>",
              'sender: "Wikimedia Clinics, WMF: Community <wikimedia-clinics@wikimedia.org>"')
    [message] = list(assert_headers_hold(scratch))
    assert message["From"].addresses[0].display_name == "Wikimedia Clinics, WMF: Community"
    assert message["Message-ID"].endswith("@wikimedia.org>")


# ------------------------------------------------------------------ templates

def test_the_html_template_escapes_everything_and_refuses_the_undefined() -> None:
    environment = email_html._template().environment
    assert environment.autoescape is True
    assert environment.undefined is jinja2.StrictUndefined
    with pytest.raises(jinja2.UndefinedError):
        environment.from_string("{{ email.nothing }}").render(email=object())
    assert environment.from_string("{{ x }}").render(x="<b>&") == "&lt;b&gt;&amp;"


# ------------------------------------------------------------------ paths under build/

@pytest.mark.parametrize("name", ["..", "../../etc", "a/b", "/tmp", ".hidden", "A", "x y", "émail", "-x", "x\\u2028"])
def test_a_list_name_that_is_not_a_folder_name_is_refused(scratch: Path, name: str) -> None:
    site_with(scratch, "  - name: wikimedia-l", f'  - name: "{name}"')
    archive, _ = load_settings(scratch)
    # refused as a name, or earlier, as an escaped line separator that no value may hold
    assert archive.site is None and {d.code for d in archive.diagnostics} & {"bad-name", "control-char"}


@pytest.mark.parametrize("code", ["en/x", "..", "../en", "/en", "en\\u2028", "EN", "e"])
def test_a_language_code_that_is_not_a_code_is_refused(scratch: Path, code: str) -> None:
    site_with(scratch, "\n  es:\n", f'\n  "{code}":\n')
    archive, _ = load_settings(scratch)
    assert archive.site is None and {d.code for d in archive.diagnostics} & {"bad-language-code", "control-char"}


@pytest.mark.parametrize("language", ["../en", "en/..", "/tmp", "..", "en\\x00", "es/../../x"])
def test_a_digest_language_that_names_a_path_is_refused(scratch: Path, language: str) -> None:
    (scratch / "001.md").write_text(digest_text(1, f'language: "{language}"\n'), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    assert not archive.digests or has_errors(archive.diagnostics)
    assert any(d.code in ("unknown-language", "wrong-type") for d in archive.diagnostics)


def test_every_output_path_stays_under_build(tmp_path: Path) -> None:
    # What a stage writes is named by the file name (NNN, NNN.LANG), a list name and a call number,
    # each refused above or in tests/bad/ when it is not a plain name: no path can climb out.
    from pipeline.build.stages import stages

    archive = load_archive(DIGESTS, TEMPLATES, TODAY)
    paths = []
    for stage in stages():
        for digest_ in archive.digests:
            if stage.per_digest is not None:
                paths += [o.path for o in stage.per_digest(archive, digest_)]
        if stage.per_archive is not None:
            paths += [o.path for o in stage.per_archive(archive)]
    assert paths
    for path in paths:
        assert re.fullmatch(r"[a-z]+(/[a-z0-9-]+)?/[A-Za-z0-9._-]+", path), path
        assert ".." not in Path(path).parts and not Path(path).is_absolute()


@pytest.mark.parametrize("name", ["001..md", "001.en..md", "001.e.md", "0001.md", "01.md", "001.EN.md", "001.en-.md",
                                  "..md", "001.en.x.md", "001 .md"])
def test_a_digest_file_name_that_is_not_a_digest_name_is_refused(scratch: Path, name: str) -> None:
    (scratch / name).write_text(digest_text(1), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, TODAY)
    assert not archive.digests
    assert [d.code for d in archive.diagnostics if d.code != "uncited-entry"] == ["bad-file-name"]


@pytest.mark.parametrize("number", ['"../1"', "-1", "0", "1.5", '"1/2"', "true"])
def test_a_call_number_that_is_not_a_number_is_refused(scratch: Path, number: str) -> None:
    (scratch / "schedule.yaml").write_text(f"- number: {number}\n  start: 2030-09-15T13:00:00Z\n"
                                           "  link: https://meet.google.com/wmc-clin-010\n  language: en\n",
                                           encoding="utf-8")
    archive, _ = load_settings(scratch)
    assert not archive.calls and any(d.code == "wrong-type" for d in archive.diagnostics)
