"""Generated notes come out as the same visible text in the wikitext, the HTML email and the text email.

Hypothesis writes digests (topics, paragraphs with soft and hard breaks, lists nested three
deep, ### headings, emphasis, code, links with any label, catalog references, pasted
addresses, and quotations, code blocks, tables and rules) out of any Unicode (right-to-left,
zero-width, combining marks, emoji) and of the sequences that mean something to MediaWiki,
HTML or Markdown. Each digest goes through the real pipeline (pipeline.read.archive.read_digest
with the project's site.yaml and catalog.yaml) and must hold these properties:

- the visible text of the wikitext page (read by mwparserfromhell; a sample also by the
  real MediaWiki) equals that of the HTML email without its frame;
- the visible text of the HTML email equals the text email's words;
- every link target is one the notes (or the catalog, or the site) wrote, in every output;
- every .eml parses, and its headers and bodies read back as they were made;
- every line of the text email fits in 72 columns, unless it holds one unbreakable token;
- rendering the same sources twice gives the same bytes.

What each comparison normalises is said where it is made: WikiReading, html_text, text_words, reading.
"""
from __future__ import annotations

import dataclasses
import email
import email.policy
import html
import re
import shutil
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote

import mwparserfromhell
import pytest
from conftest import DIGESTS, TEMPLATES
from hypothesis import HealthCheck, Phase, example, given, reject, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from mediawiki import LocalWiki, Reading, mediawiki, normal_url, read_html  # noqa: F401
from mwparserfromhell.nodes import ExternalLink, Heading, HTMLEntity, Tag, Text, Wikilink
from mwparserfromhell.wikicode import Wikicode

from pipeline.check.archive import Intros, read_digest
from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Severity
from pipeline.model.digest import Digest
from pipeline.model.settings import Site
from pipeline.parse.tree import Parser
from pipeline.read.archive import load_settings
from pipeline.render.document import document
from pipeline.render.email import mime as email_mime
from pipeline.render.email.html import render_html
from pipeline.render.email.mime import compose
from pipeline.render.email.text import WIDTH, width
from pipeline.render.wiki import page as wikitext
from pipeline.render.wiki.page import navigation

# ------------------------------------------------------------------ generated digests

# Sequences that mean something to MediaWiki, HTML or Markdown: each must stay text.
SPECIALS = [
    "{{", "}}", "{{{1}}}", "{{!}}", "[[", "]]", "[[Category:Oops]]", "[[File:X.png|thumb]]", "''", "'''", "'",
    "~~~", "~~~~", "~~~~~", "__NOTOC__", "__", "&amp;", "&lt;b&gt;", "&#123;", "&#x7B;", "&nbsp;", "&",
    "<b>", "</b>", "<br>", "<!--", "-->", "<nowiki>", "</nowiki>", "<nowiki/>", "<pre>", "<ref>x</ref>",
    "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<span style=\"color:red\">", "<",
    ">", "{|", "|}", "|-", "|", "||", "!", "!!", "----", "-{", "}-", "RFC 1234", "ISBN 0-306-40615-2",
    "PMID 12345", "mailto:a@example.org", "//example.org", "ftp://example.org", "#REDIRECT", "*", "#", ":",
    ";", "=", "== x ==", "_", "\\", "`", "[", "]", "(", ")", "1.", "-", "+", "\u00a0", "\u200b", "\u200c",
    "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff", "\u0301", "e\u0301", "\u3000", "\u2003", "🎉",
    "👩\u200d💻", "🇪🇸", "العربية", "עברית", "中文字", "ﷺ", "Ω", "ß",
]
# Any character a file may hold: not controls (the loader refuses them), surrogates or line separators.
CHARACTERS = st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"))
_MARKDOWN = re.compile(r"([\\`*_\[\]#+\-.!>|{}()])")
URL_PATH = st.from_regex(r"[A-Za-z0-9._~/-]{0,12}(\?[a-z]{1,3}=[A-Za-z0-9_~.-]{0,5}(&[a-z]{1,3}=[0-9]{1,3})?)?",
                         fullmatch=True)
CATALOG = ["quarry", "trust-and-safety", "global-templates", "paws", "wikimedia-grants", "wikimedia-mexico",
           "toolforge", "movement-strategy-recommendations"]


def markdown_text(text: str) -> str:
    """Return `text` as Markdown that shows it: the characters Markdown would read backslash-escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


words = st.one_of(st.text(CHARACTERS, min_size=1, max_size=10), st.sampled_from(SPECIALS),
                  st.sampled_from(["a", "the", "Volunteer", "WMF", "asked", "2020"]))
plain = st.lists(st.one_of(words, st.just(" ")), min_size=1, max_size=4).map("".join)


@dataclass(frozen=True)
class Written:
    """Markdown and the addresses it links (besides the catalog's)."""

    markdown: str
    urls: frozenset[str] = frozenset()

    def __add__(self, other: Written) -> Written:
        return Written(self.markdown + other.markdown, self.urls | other.urls)


def concat(parts: Iterable[Written], separator: str = "") -> Written:
    """Return `parts` written one after the other, `separator` between them."""
    parts = list(parts)
    return Written(separator.join(p.markdown for p in parts), frozenset().union(*(p.urls for p in parts)))


def text_piece() -> st.SearchStrategy[Written]:
    """Return a strategy for running text, escaped so that Markdown shows it as it is."""
    return plain.map(lambda t: Written(markdown_text(t)))


def styled(inner: st.SearchStrategy[Written], mark: str) -> st.SearchStrategy[Written]:
    """Return a strategy for `inner` between two `mark`s ("*" or "**")."""
    return inner.map(lambda w: Written(mark + w.markdown + mark, w.urls))


code = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="`"),
               min_size=1, max_size=12).filter(lambda t: t.strip()).map(lambda t: Written(f"`{t}`"))
label_pieces = st.lists(st.one_of(text_piece(), styled(text_piece(), "*"), styled(text_piece(), "**"), code),
                        max_size=3).map(concat)


@st.composite
def link(draw: st.DrawFn) -> Written:
    label = draw(label_pieces)
    url = "https://example.org/" + draw(URL_PATH)
    return Written(f"[{label.markdown}]({url})", frozenset({url}))


@st.composite
def catalog_link(draw: st.DrawFn) -> Written:
    entry = draw(st.sampled_from(CATALOG))
    if draw(st.booleans()):
        return Written(f"[{entry}][]")
    return Written(f"[{draw(label_pieces).markdown}][{entry}]")


# A pasted address, and an address in angle brackets: spaces around, so that no escape joins them.
bare_url = URL_PATH.map(lambda p: Written(f" https://example.org/{p.rstrip('.~_-?=&')} ",
                                          frozenset({f"https://example.org/{p.rstrip('.~_-?=&')}"})))
automail = st.sampled_from(["someone@example.org", "a.b+c@example.org"]).map(
    lambda a: Written(f" <{a}> ", frozenset({f"mailto:{a}"})))
simple = st.one_of(text_piece(), code)
inline = st.lists(st.one_of(
    text_piece(), text_piece(), text_piece(), styled(simple, "*"), styled(simple, "**"),
    styled(st.lists(st.one_of(text_piece(), styled(text_piece(), "**"), link()), min_size=1, max_size=3)
           .map(concat), "*"), code, link(), catalog_link(), bare_url, automail), min_size=1, max_size=4).map(concat)


def line_of(written: Written) -> Written:
    """Return inline Markdown as one line that neither starts a block nor underlines the one before."""
    text = written.markdown.replace("\n", " ").strip(" ")
    if not text.strip() or re.fullmatch(r"[= ]+", text):
        text = "x " + text
    return Written(text, written.urls)


@st.composite
def paragraph(draw: st.DrawFn) -> Written:
    lines = draw(st.lists(inline.map(line_of), min_size=1, max_size=3))
    breaks = draw(st.lists(st.sampled_from(["\n", "  \n"]), min_size=len(lines) - 1, max_size=len(lines) - 1))
    out = Written(lines[0].markdown, lines[0].urls)
    for line, brk in zip(lines[1:], breaks):
        out = out + Written(brk) + line
    return out


@st.composite
def a_list(draw: st.DrawFn, depth: int = 0) -> Written:
    ordered = draw(st.booleans())
    items = []
    for n in range(draw(st.integers(1, 3))):
        marker = f"{n + 1}. " if ordered else "* "
        item = Written("    " * depth + marker) + draw(inline.map(line_of)) + Written("\n")
        if depth < 2 and draw(st.integers(0, 2)) == 0:
            item = item + draw(a_list(depth + 1))
        items.append(item)
    return concat(items)


heading3 = inline.map(line_of).map(lambda w: Written("### " + w.markdown, w.urls))
quote = st.lists(st.one_of(paragraph(), a_list()), min_size=1, max_size=2).map(
    lambda blocks: Written("\n>\n".join("\n".join("> " + line for line in b.markdown.split("\n")) for b in blocks),
                           concat(blocks).urls))
code_block = st.lists(st.text(CHARACTERS, min_size=1, max_size=30).filter(str.strip), min_size=1, max_size=3).map(
    lambda lines: Written("\n".join("    " + line for line in lines)))
cell = inline.map(line_of).map(lambda w: Written(w.markdown.replace("|", "\\|"), w.urls))


@st.composite
def table(draw: st.DrawFn) -> Written:
    columns = draw(st.integers(1, 3))
    rows = [[draw(cell) for _ in range(columns)] for _ in range(draw(st.integers(2, 3)))]
    rule = "|" + "|".join(draw(st.sampled_from(["---", ":--", "--:", ":-:"])) for _ in range(columns)) + "|"
    lines = ["| " + " | ".join(c.markdown for c in row) + " |" for row in rows]
    return Written("\n".join([lines[0], rule, *lines[1:]]), concat(c for row in rows for c in row).urls)


block = st.one_of(paragraph(), paragraph(), a_list(), a_list(), heading3, quote, code_block, table(),
                  st.just(Written("---")))


@st.composite
def topic(draw: st.DrawFn) -> Written:
    # A word first: a title must show something (a link with an empty label alone would not).
    first = draw(words.filter(lambda w: w.strip() and not w.isspace()).map(markdown_text))
    title = Written(first + " ") + draw(st.one_of(st.just(Written("")), inline))
    body = draw(st.lists(block, min_size=1, max_size=3))
    if body[0].markdown.startswith(("###", "---")):  # a topic needs notes, not just a subheading or a rule
        body.insert(0, Written("Notes."))
    return Written("## " + title.markdown + "\n\n") + concat(body, "\n\n")


yaml_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"),
                                  blacklist_characters="\ufffe\uffff"), min_size=1, max_size=20) | \
    st.sampled_from(SPECIALS)


@st.composite
def digest_source(draw: st.DrawFn) -> Written:
    front = ["number: 1", "date: 2020-06-15", "intro: false",
             f"language: {draw(st.sampled_from(['en', 'es']))}"]
    if draw(st.booleans()):
        topic_text = draw(yaml_text.filter(str.strip))
        front.append("scheduled:\n  topic: " + yaml_string(topic_text))
        if draw(st.booleans()):
            front.append("  presenter: " + yaml_string(draw(yaml_text.filter(str.strip))))
    topics = draw(st.lists(topic(), min_size=1, max_size=2))
    return Written("---\n" + "\n".join(front) + "\n---\n") + concat(topics, "\n\n") + Written("\n")


def yaml_string(value: str) -> str:
    """Return `value` as a double-quoted YAML scalar."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


# ------------------------------------------------------------------ the pipeline, once per process

class Pipeline:
    """The project's settings and catalog in a scratch folder, and a parser, built once.

    Not a dataclass: hypothesis prints a failing example's arguments, a dataclass field by field.
    """

    def __init__(self, folder: Path, archive: Archive, parser: Parser) -> None:
        self.folder = folder
        self.archive = archive
        self.parser = parser

    def __repr__(self) -> str:
        return "Pipeline()"

    def read(self, source: str) -> tuple[Digest | None, list[str]]:
        """Return the digest `source` holds and its errors, read as `build` reads a file."""
        path = self.folder / "001.md"
        path.write_text(source, encoding="utf-8")
        problems: list = []
        digest, found = read_digest(path, "001.md", self.archive.site, self.parser,
                                    Intros(self.parser, TEMPLATES, problems))
        errors = [d.format() for d in found + problems if d.severity is Severity.ERROR]
        return digest, errors

    def outputs(self, digest: Digest) -> dict[str, bytes]:
        """Return every file the emails and wiki stages write for `digest`."""
        self.archive.replace_digests([digest])
        return {o.path: o.data for o in [*email_mime.render(self.archive, digest),
                                         *wikitext.render(self.archive, digest)]}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    folder = tmp_path_factory.mktemp("properties")
    for name in ("site.yaml", "catalog.yaml"):
        shutil.copy(DIGESTS / name, folder / name)
    archive, _ = load_settings(folder)
    assert archive.site is not None and not [d for d in archive.diagnostics if d.severity is Severity.ERROR]
    return Pipeline(folder, archive, Parser(archive.catalog))


# Errors a generated digest may meet by chance (a "<" before a pasted address, "[x](y)" built from
# specials …): the digest is refused, as it should be, and hypothesis tries another.
CHANCE_ERRORS = ("link-scheme", "bad-link", "unknown-ref", "image", "unreadable-markdown", "nested-heading")


def read_or_reject(pipeline: Pipeline, source: str) -> Digest:
    """Return the digest `source` holds; an example that meets a known refusal or leak is rejected."""
    digest, errors = pipeline.read(source)
    unexpected = [e for e in errors if not any(f"error[{code}]" in e for code in CHANCE_ERRORS)]
    assert not unexpected, f"{source!r}\n" + "\n".join(unexpected)
    if errors or digest is None or placeholder_leaks(digest):
        reject()
    assert digest is not None
    return digest


def placeholder_leaks(digest: Digest) -> bool:
    """Return True when Python-Markdown left one of its placeholders (STX … ETX) in the tree.

    The loader refuses control characters, so any STX or ETX is Python-Markdown's: see
    test_known_placeholder_leaks below. Such a digest is skipped here, not compared.
    """
    for topic in digest.topics:
        for block in (topic.heading, *topic.elements):
            for el in block.iter():
                values = [el.text or "", el.tail or "", *el.attrib.values()]
                if any("\x02" in value or "\x03" in value for value in values):
                    return True
    return False


# ------------------------------------------------------------------ visible text: the wikitext

_BREAKING = re.compile(r"[ \t\n\r\f]+")  # what a browser collapses; U+00A0 and other spaces stay


def collapse(text: str) -> str:
    """Return `text` with its runs of ASCII whitespace made one space, as a browser shows them."""
    return _BREAKING.sub(" ", text).strip(" ")


_WIKI_BLOCKS = frozenset("li dt dd ul ol p blockquote pre table tr td th br hr h1 h2 h3 h4 h5 h6".split())
_WIKI_INLINE = frozenset("i b code".split())


class WikiReading:
    """What a reader finds in wikitext, as mwparserfromhell reads it: the text and the link targets.

    Text as written; character references decoded; <nowiki/> dropped; a link shows its label
    (a wikilink without one its title, less a leading ":"); '' and ''' and <code> show their
    content; list markers, headings and line breaks separate words. Anything else (a template,
    a comment, a tag the writer never generates, a wikilink that would categorise or embed,
    a bracketed link without a label, which MediaWiki would number) is markup that slipped
    through: AssertionError.

    Where mwparserfromhell and MediaWiki differ, this reads as MediaWiki does: each line is
    read on its own, as MediaWiki reads '' and ''' (mwparserfromhell may let the quotes of
    one line change how it reads a later one), but for the blocks the writer spreads over
    lines (<pre>, <blockquote>, <ol start>, tables); and a heading's text is read on its own
    (mwparserfromhell ends a free link inside a heading at "=").
    """

    def __init__(self, wikitext_: str, category: str = "") -> None:
        if category:  # the page's category link, its last line
            assert wikitext_.endswith(f"\n[[Category:{category}]]\n"), wikitext_[-200:]
            wikitext_ = wikitext_.removesuffix(f"[[Category:{category}]]\n")
        self.links: list[tuple[str, bool]] = []  # (target, True for a wikilink), in order
        self.text = collapse("\n".join(self._read(unit) for unit in _units(wikitext_)))

    def _read(self, wikitext_: str) -> str:
        return self._visible(mwparserfromhell.parse(wikitext_, skip_style_tags=False))

    def _visible(self, code: Wikicode | None) -> str:
        return "".join(self._node(node) for node in code.nodes) if code is not None else ""

    def _node(self, node: object) -> str:
        if isinstance(node, Text):
            return str(node)
        if isinstance(node, HTMLEntity):
            return node.normalize()
        if isinstance(node, Heading):
            return f"\n{self._read(str(node.title))}\n"
        if isinstance(node, Wikilink):
            title = references(str(node.title))
            assert not title.lstrip(":").lower().startswith(("category:", "file:", "image:")), node
            self.links.append((title.removeprefix(":"), True))
            return self._visible(node.text) if node.text is not None else self._visible(node.title).removeprefix(":")
        if isinstance(node, ExternalLink):
            assert node.title is not None or not node.brackets, f"a numbered link: {node}"
            self.links.append((references(str(node.url)), False))
            return self._visible(node.title) if node.brackets else str(node.url)
        if isinstance(node, Tag):
            return self._tag(node)
        raise AssertionError(f"markup in the wikitext: {type(node).__name__} {str(node)!r}")

    def _tag(self, node: Tag) -> str:
        name = str(node.tag).lower()
        if name == "nowiki" and node.self_closing:
            return ""
        if name == "pre":
            return f"\n{references(str(node.contents))}\n"
        if name in _WIKI_BLOCKS:
            return f"\n{self._visible(node.contents)}\n"
        if name in _WIKI_INLINE:
            return self._visible(node.contents)
        if name == "span" and {str(a.name) for a in node.attributes} == {"lang", "dir"}:
            return self._visible(node.contents)  # text in another language, marked for screen readers
        raise AssertionError(f"markup in the wikitext: {str(node)!r}")

    def targets(self, site: Site) -> list[str]:
        """Return the link targets as https addresses, percent-decoded."""
        return [page_url(target, site) if wikilink else unquote(target) for target, wikilink in self.links]


_REFERENCE = re.compile(r"&#?\w+;")


def references(wikitext_: str) -> str:
    """Return `wikitext_` with its character references decoded, as MediaWiki decodes them: "&lt" is text."""
    return _REFERENCE.sub(lambda m: html.unescape(m.group()), wikitext_)


_BLOCK_TAGS = ("pre", "blockquote", "ol", "ul")


def _units(wikitext_: str) -> list[str]:
    """Return the lines of `wikitext_`, a block written over several lines kept as one."""
    units: list[str] = []
    open_blocks = dict.fromkeys(_BLOCK_TAGS, 0) | {"table": 0}
    for line in wikitext_.split("\n"):
        if any(open_blocks.values()):
            units[-1] += "\n" + line
        else:
            units.append(line)
        for tag in _BLOCK_TAGS:
            open_blocks[tag] += len(re.findall(rf"<{tag}\b", line)) - line.count(f"</{tag}>")
        if line.startswith("{|"):
            open_blocks["table"] += 1
        elif line.startswith("|}") and open_blocks["table"]:  # "|}" outside a table is text
            open_blocks["table"] -= 1
    return units


def wiki_text(wikitext_: str, category: str = "") -> str:
    """Return the visible text of `wikitext_` (see WikiReading), whitespace collapsed."""
    return WikiReading(wikitext_, category).text


def page_url(title: str, site: Site) -> str:
    """Return the address of a wikilink target: an interwiki prefix expanded, else a page on the wiki."""
    for prefix in sorted(site.interwiki, key=len, reverse=True):
        if title.startswith(prefix + ":") and prefix != site.wiki.local_prefix:
            return unquote(site.interwiki[prefix].replace("$1", title[len(prefix) + 1:].replace(" ", "_")))
    return unquote(site.wiki.base_url + title.replace(" ", "_"))


# ------------------------------------------------------------------ visible text: the HTML email

_HTML_BLOCKS = frozenset("address blockquote body br dd div dl dt h1 h2 h3 h4 h5 h6 hr li ol p pre table tbody td "
                         "th thead tr ul".split())


def html_text(page: str, skip_classes: Iterable[str] = (), skip_tags: Iterable[str] = ()) -> str:
    """Return what a reader sees of an HTML email's body: lxml's text, whitespace collapsed.

    Block elements and <br> separate words; comments (the Outlook conditionals) and elements with
    a class in `skip_classes` or a tag in `skip_tags` are left out.
    """
    body = lxml_html.document_fromstring(page).body
    skip = set(skip_classes)
    tags = set(skip_tags)
    parts: list[str] = []

    def walk(el: lxml_html.HtmlElement) -> None:
        if skip.intersection((el.get("class") or "").split()) or el.tag in tags:
            return
        block = el.tag in _HTML_BLOCKS
        parts.append("\n" if block else "")
        parts.append(el.text or "")
        for child in el:
            if isinstance(child.tag, str):
                walk(child)
            parts.append(child.tail or "")
        parts.append("\n" if block else "")

    walk(body)
    return collapse("".join(parts))


def html_links(page: str) -> list[tuple[str, str]]:
    """Return the (target, label) of every link in an HTML email's body, targets percent-decoded."""
    body = lxml_html.document_fromstring(page).body
    return [(unquote(a.get("href", "")), collapse(a.text_content())) for a in body.iter("a")]


# ------------------------------------------------------------------ visible text: the text email

_UNDERLINE = re.compile(r"([=~.-])\1*")
_LINK_LINE = re.compile(r"\[\d+\] +[^ \t\n\r\f]+")
_MARKER = re.compile(r"\[\d+\]")
# Whitespace here is ASCII whitespace: a no-break space is part of a word, in every output.
_GLUED = re.compile(r"(?<=[^ \t\n\r\f]) \[\d+\]")
_BULLETS = re.compile(r"^ *(?:(?:[*-]|\d+\.|>) +|>$)*")
_LIST_WORD = re.compile(r"(?<![^ \t\n\r\f])(?:-+|\d+\.|>)(?![^ \t\n\r\f])")


def links_section(text: str, links_heading: str) -> tuple[list[str], list[str]]:
    """Return the text email's lines without its "Links" section, and that section's URLs in order."""
    lines = re.sub(r"^(\[\d+\])\n(\S+)$", r"\1 \2", text, flags=re.MULTILINE).split("\n")
    for n in range(len(lines) - 1, 0, -1):
        if lines[n] == links_heading and lines[n + 1] == "-" * width(links_heading):
            end = n + 3
            while end < len(lines) and _LINK_LINE.fullmatch(lines[end]):
                end += 1
            return lines[:n] + lines[end:], [line.split(maxsplit=1)[1] for line in lines[n + 3:end]]
    return lines, []


def text_words(text: str, links_heading: str) -> str:
    """Return the text email's characters, normalised for comparison with `comparable(html_text(…))`.

    The text email adds, and this removes: the "Links" section (heading, underline, "[n] URL"
    lines); the underline under each heading (a line of one of = - ~ . as wide as the lines
    right above it, indentation aside); the signature delimiter "-- "; the bullets, list
    numbers and quote marks ">" that start a line. What cannot be told from the same
    characters in a note is removed on both sides, by `comparable`: words that are a bullet,
    a list number, a quote mark or a table's rule ("*", "-", "3.", ">", "---"), link markers
    "[n]", the asterisks and backticks of emphasis and code (and of a rule, "* * *"), the
    "|" between table cells, and all whitespace: the text email wraps, indents, aligns table
    columns and glues a marker to the word before it, so only the order of the visible
    characters is compared here (the wiki comparison keeps word boundaries).
    """
    kept: list[str] = []
    block: list[str] = []  # the lines since the last blank one, without their indentation and quote marks
    for line in links_section(text, links_heading)[0]:
        bare = line.lstrip("> ")
        if line == "-- " or (block and _UNDERLINE.fullmatch(bare) and width(bare) == max(map(width, block))):
            continue
        block = block + [bare] if bare else []
        kept.append(_BULLETS.sub("", line))
    return comparable("\n".join(kept))


def comparable(text: str) -> str:
    """Return text without what the text email adds that a note could also contain, and without spaces.

    A marker glued to a word (" [3]") goes with its space, one at the start of a line or a
    word ("[3]" after an empty link label) alone; then asterisks and backticks; then the
    words that are bullets or list numbers.
    """
    text = _MARKER.sub("", _GLUED.sub("", text)).replace("*", "").replace("`", "").replace("|", "")
    return _BREAKING.sub("", _LIST_WORD.sub("", collapse(text)))


# ------------------------------------------------------------------ the properties

def frameless_html(archive: Archive, digest: Digest) -> str:
    """Return the HTML email of `digest` with only what its Meta page holds.

    The page leaves out the email's frame (title, dateline, greeting, signature, footer), the
    sentence that points to the Meta page itself and the upcoming calls; it ends with the links
    to the digests before and after (as the footer here).
    """
    doc = document(archive, digest)
    letter = compose(archive, doc)
    appendix = tuple(part for part in letter.appendix if part.heading != doc.upcoming_heading)
    letter = dataclasses.replace(letter, title="", dateline="", greeting="", opening=doc.opening, signature="",
                                 appendix=appendix, footer=(navigation(archive, digest, doc.language),))
    return render_html(letter)


def page_html_text(page: str) -> str:
    """Return the visible text of a frameless HTML email."""
    return html_text(page)


def parse_eml(data: bytes) -> EmailMessage:
    """Return the message in `data`, read as a mail client reads it; it must have no defect."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    assert not message.defects, message.defects
    return message


@dataclass
class Rendered:
    """One generated digest and what the emails and wiki stages made of it."""

    source: str
    digest: Digest
    files: dict[str, bytes]
    made: email_mime.Bodies

    @property
    def wiki(self) -> str:
        return self.files[f"wiki/{self.digest.id}.wiki"].decode("utf-8")


def render(pipeline: Pipeline, source: str) -> Rendered:
    """Return the outputs of the digest `source` holds (hypothesis rejects one the pipeline refuses)."""
    digest = read_or_reject(pipeline, source)
    files = pipeline.outputs(digest)
    return Rendered(source, digest, files, email_mime.bodies(pipeline.archive, digest))


def check_same_visible_text(pipeline: Pipeline, rendered: Rendered) -> None:
    """Check that the wiki page shows the frameless HTML email's text, and the text email its words."""
    archive = pipeline.archive
    page = wiki_text(rendered.wiki, archive.site.wiki.category)
    mail = page_html_text(frameless_html(archive, rendered.digest))
    assert page == mail, difference(page, mail) + f"\nsource: {rendered.source!r}\nwikitext: {rendered.wiki!r}"
    made = rendered.made
    assert made.html == rendered.files[f"email/{rendered.digest.id}.html"].decode("utf-8")
    assert made.text == rendered.files[f"email/{rendered.digest.id}.txt"].decode("utf-8")
    html_words = comparable(html_text(made.html))
    plain_words = text_words(made.text, made.letter.links_heading)
    assert plain_words == html_words, difference(plain_words, html_words) + f"\nsource: {rendered.source!r}\n{made.text}"


def check_links(pipeline: Pipeline, rendered: Rendered, urls: frozenset[str]) -> None:
    """Check that every output links the same addresses, each one the notes, the catalog or the site wrote."""
    archive = pipeline.archive
    site = archive.site
    allowed = {unquote(u) for u in urls} | {unquote(e.url) for e in archive.catalog.entries} | \
        {unquote(site.wiki.base_url)}
    page = frameless_html(archive, rendered.digest)
    mail = [target for target, _ in html_links(page)]
    for target in mail:  # an address the generator made, or one its specials spelled out ("<https://…>")
        assert target in allowed or target.startswith(unquote(site.wiki.base_url)) or \
            target in rendered.source.replace("\\", ""), target
        assert not re.search(r"[\x00-\x1f\x7f]", target), repr(target)
    assert WikiReading(rendered.wiki, site.wiki.category).targets(site) == mail
    made = rendered.made
    shown = [target for target, label in html_links(made.html)
             if label != target and label != target.removeprefix("mailto:")]
    listed = links_section(made.text, made.letter.links_heading)[1]
    assert [unquote(u) for u in listed] == list(dict.fromkeys(shown))


def check_messages(rendered: Rendered) -> None:
    """Check that every .eml parses, its headers read back as made, and its parts are the two bodies."""
    made = rendered.made
    for path, data in rendered.files.items():
        if not path.endswith(".eml"):
            continue
        message = parse_eml(data)
        assert message["Subject"] == made.letter.subject, path
        assert "\n" not in made.letter.subject and "\r" not in made.letter.subject
        assert str(message["From"]) == "Wikimedia Clinics <wikimedia-clinics@wikimedia.org>"
        assert len(message.get_all("Subject")) == 1 and len(message.get_all("To")) == 1
        assert message["Content-Language"] == rendered.digest.language
        text = message.get_body(("plain",))
        assert text is not None and text.get_content().replace("\r\n", "\n") == made.text, path
        if message.is_multipart():
            part = message.get_body(("html",))
            assert part is not None and part.get_content().replace("\r\n", "\n") == made.html, path
        assert all(len(line) <= 998 for line in data.split(b"\r\n")), path


_LINE_PREFIX = re.compile(r"(?: *(?:>|[*-]|\d+\.)(?= |$))* *(?:\[\d+\] +)?")
_GLUED_MARKER = re.compile(r" \[\d+\]")


def check_line_widths(text: str, digest: Digest) -> None:
    """Every line fits in 72 columns, or holds one token no line may break: a URL, a long word.

    Lines break at ASCII whitespace only: a no-break space glues, and the text email keeps
    other Unicode spaces as written, inside the token.

    A token may come after the line's indentation, quote marks, bullets or list numbers (a
    list item that starts with a list has two) and a "[n]", and it may hold link markers
    " [n]", which are glued to the word they follow. A line of a code block is kept as
    written (Markdown reads some generated lines as one: an item indented too far).
    """
    code = {line.lstrip("> ").rstrip(" ") for topic in digest.topics for block in topic.elements
            for pre in block.iter("pre") for line in "".join(pre.itertext()).expandtabs(4).split("\n")}
    for line in text.split("\n"):
        if width(line) <= WIDTH or line.lstrip("> ").rstrip(" ") in code:
            continue
        rest = _GLUED_MARKER.sub("", line[_LINE_PREFIX.match(line).end():])  # type: ignore[union-attr]
        assert rest and not _BREAKING.search(rest), f"{width(line)} columns: {line!r}"


def check_reproducible(pipeline: Pipeline, source: str, first: dict[str, bytes]) -> None:
    """Check that reading and rendering `source` again gives the same bytes."""
    again = pipeline.outputs(read_or_reject(pipeline, source))
    assert again == first


PROPERTIES = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                          HealthCheck.filter_too_much])


def digest(body: str, front: str = "", urls: Iterable[str] = ()) -> Written:
    """Return a digest source whose topics are `body`."""
    return Written(f"---\nnumber: 1\ndate: 2020-06-15\nintro: false\n{front}---\n{body}", frozenset(urls))


# What hypothesis found, each fixed in the renderer named, and kept here as it was found (shrunk).
FOUND = {
    # wikiinline.join: two emphases side by side made a run of four or six apostrophes.
    "adjacent emphasis": digest("## 0\n\n**`0`****`0`** and *a*_b_ and **a**_b_\n"),
    # email_html and email_text collapsed and trimmed U+3000 and U+00A0 as if they were spaces;
    # wikitext stripped them from the end of a list item.
    "unicode spaces": digest("## 0\n\n0\u3000\n\n* a\u3000\n* b\u00a0c \u00a0d\n"),
    # wikiinline.label_or_nowiki: a label of spaces became <nowiki/>, and MediaWiki drops the
    # spaces that start a label.
    "labels of spaces": digest("## 0\n\n0[ ][quarry]*`0`* and [\u00a0x](https://example.org/a)\n",
                               urls=["https://example.org/a"]),
    # email_mime._set_subject: the email package folded this subject before its first word,
    # which then read back with a leading space.
    "subject with an address": digest("## a <a.b+c@example.org> \n\n* <a.b+c@example.org> 0\n\n"
                                      "## the [wikimedia-grants][]\n\n* 0\n", urls=["mailto:a.b+c@example.org"]),
    # email_mime._set_subject: "=?…?=" in a title was decoded by mail readers as another text.
    "encoded word in a title": digest("## =?utf-8?q?=41=42?=\n\nNotes.\n"),
    # wikiescape: mwparserfromhell (which bots use to edit pages) read "<" before a digit or a
    # letter outside ASCII as a tag, which can run over the lines after it and swallow a heading.
    "tag-like text": digest("## 0\n\na <é x /> b and c <0 d /> e\n"),
    # email_text.Words.glue: the text after a link whose label ends with a space was glued to
    # the link's marker ("x [2]*-*"), where the HTML shows "x -".
    "label ending with a space": digest("## 0\n\n[x ](https://example.org/x)**-** and [y ](https://example.org/y)z\n",
                                        urls=["https://example.org/x", "https://example.org/y"]),
    # wikiescape: mwparserfromhell read "svn://" at the end of a code span as a link.
    "protocol before markup": digest("## 0\n\n[`svn://`](https://example.org/s) and `svn://`\n",
                                     urls=["https://example.org/s"]),
}


@PROPERTIES
@given(digest_source())
@example(FOUND["adjacent emphasis"])
@example(FOUND["unicode spaces"])
@example(FOUND["labels of spaces"])
@example(FOUND["subject with an address"])
@example(FOUND["encoded word in a title"])
@example(FOUND["tag-like text"])
@example(FOUND["label ending with a space"])
@example(FOUND["protocol before markup"])
def test_generated_digests_read_the_same_everywhere(pipeline: Pipeline, source: Written) -> None:
    rendered = render(pipeline, source.markdown)
    check_same_visible_text(pipeline, rendered)
    check_links(pipeline, rendered, source.urls)
    check_messages(rendered)
    check_line_widths(rendered.made.text, rendered.digest)
    check_reproducible(pipeline, source.markdown, rendered.files)


# ------------------------------------------------------------------ known bugs upstream of the renderers

# Python-Markdown can leave one of its placeholders (STX "klzzwxh:0000" ETX) in the tree: the text
# it stood for (an escaped character, a code span) would be lost. The angle-bracket address now
# reads its escapes; what Python-Markdown itself loses is refused (error[unreadable-markdown]).
LEAKS = {
    "escape inside an angle-bracket address": "<a\\.b@example\\.org>",
    "emphasis before a code span": "*a**b*`c`",
}


@pytest.mark.parametrize("name", list(LEAKS))
def test_known_placeholder_leaks(pipeline: Pipeline, name: str) -> None:
    found, errors = pipeline.read(digest(f"## Topic\n\n{LEAKS[name]}\n").markdown)
    assert errors or (found is not None and not placeholder_leaks(found))


# ------------------------------------------------------------------ a sample through the real MediaWiki

def reading(html_: str, site: Site, email: bool = False) -> Reading:
    """Return what a reader finds in MediaWiki's HTML or in the frameless email (tests/mediawiki.py's reader).

    That reader counts U+00A0 and U+202F as spaces: MediaWiki turns the space before "?", ":",
    "!" or "»" into one of them (French spacing), which the email does not. And the text is
    compared in Unicode's NFC: MediaWiki stores every text so ("e" and U+0301 become "é"),
    and canonically equivalent text shows the same.
    """
    found = read_html(html_)
    return dataclasses.replace(
        found, text=unicodedata.normalize("NFC", found.text),
        links=[(normal_url(href, site.wiki.base_url, dict(site.interwiki)), unicodedata.normalize("NFC", label))
               for href, label in found.links])


@pytest.mark.mediawiki
@settings(max_examples=25, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))  # no shrinking: each example is a request to the wiki
@given(digest_source())
@example(FOUND["adjacent emphasis"])
@example(FOUND["unicode spaces"])
@example(FOUND["labels of spaces"])
@example(FOUND["tag-like text"])
@example(FOUND["protocol before markup"])
def test_a_sample_reads_on_the_real_wiki_as_in_the_email(pipeline: Pipeline, mediawiki: LocalWiki,
                                                         source: Written) -> None:
    archive = pipeline.archive
    made = render(pipeline, source.markdown)
    page = reading(mediawiki.parse(made.wiki).html, archive.site)
    mail = reading(frameless_html(archive, made.digest), archive.site, email=True)
    assert page.text == mail.text, difference(page.text, mail.text) + f"\n  wikitext: {made.wiki!r}"
    assert page.links == mail.links, f"\n  wikitext: {made.wiki!r}"


def difference(found: str, expected: str) -> str:
    """Return where `found` and `expected` first differ, with some text around."""
    at = next((n for n, (a, b) in enumerate(zip(found, expected)) if a != b), min(len(found), len(expected)))
    return f"\n  at {at}:\n  found:    {ascii(found[max(at - 60, 0):at + 60])}\n  expected: {ascii(expected[max(at - 60, 0):at + 60])}"
