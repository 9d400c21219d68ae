"""Markdown -> model, through Python-Markdown's element tree.

One Markdown instance per process, reset for each digest. Raw HTML is not
recognised: a note that says <script> shows the text "<script>". Reference
links whose label the digest does not define are resolved against the catalog.
"""
from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import markdown.treeprocessors
from markdown.extensions import Extension
from markdown.inlinepatterns import (
    AUTOMAIL_RE,
    IMAGE_LINK_RE,
    IMAGE_REFERENCE_RE,
    LINK_RE,
    ImageInlineProcessor,
    ImageReferenceInlineProcessor,
    InlineProcessor,
    LinkInlineProcessor,
    ReferenceInlineProcessor,
    ShortImageReferenceInlineProcessor,
    ShortReferenceInlineProcessor,
)

from pipeline.adapters.markdown import LinkScans, backtick_processor
from pipeline.model.catalog import Catalog
from pipeline.model.diagnostics import Diagnostic, Location, error
from pipeline.model.digest import CATALOG_ATTR, Topic
from pipeline.parse.limits import MAX_DEPTH, Problem, depth, limit_nesting, limit_paragraphs
from pipeline.read.text import normal, shown

_SPACE = re.compile(r"\s+")
# Stops before STX/ETX: Python-Markdown's placeholders (a backslash escape, a stashed node) are not address.
# What it takes, _BareUrl trims as GitHub and MediaWiki do: punctuation at the end is the sentence's, and so
# is a closing parenthesis without its opening one in the address ("(see https://x.org/a)").
_BARE_URL = r"(?<![\w/:@])(https?://[^\s<>\[\]\"'\x02\x03]*[^\s<>\[\]\"'.,;:!?*_~()\x02\x03]" \
            r"(?:[^\s<>\[\]\"'\x02\x03]*[^\s<>\[\]\"'.,;:!?*_~(\x02\x03])?)"
_TRAILING = frozenset(".,;:!?*_~(")
MAX_TOPICS = 100  # a call covers a handful of topics; more is a paste gone wrong


@dataclass
class ParseState:
    """What the inline processors found while parsing one document."""

    catalog: Catalog
    language: str = ""  # the digest's: a catalog entry with its own page in it links there
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (label, raw source)
    problems: list[Problem] = field(default_factory=list)  # found before the tree exists: offsets, not places


class _Link(LinkScans, LinkInlineProcessor):
    pass


class _ImageLink(LinkScans, ImageInlineProcessor):
    pass


class _ImageReference(LinkScans, ImageReferenceInlineProcessor):
    pass


class _ShortImageReference(LinkScans, ShortImageReferenceInlineProcessor):
    pass


class _CatalogReference(LinkScans, ReferenceInlineProcessor):
    """[text][label] and [label][]: the digest's own definitions first, then the catalog."""

    required = True  # an unresolved full reference is an error; "[text]" alone may be prose

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element | None, int | None, int | None]:
        text, index, handled = self.getText(data, m.end(0))
        if not handled:
            return None, None, None
        label, end, handled = self.evalId(data, index, text)
        if not handled or label is None:
            return None, None, None
        label = self.NEWLINE_CLEANUP_RE.sub(" ", label)
        if label in self.md.references:
            href, title = self.md.references[label]
            return self.makeTag(href, title, text), m.start(0), end
        state: ParseState = self.md.clinics_state  # type: ignore[attr-defined]
        entry = state.catalog.lookup(label)
        if entry is not None:
            el = self.makeTag(entry.target(state.language)[0] if state.language else entry.url, "", text)
            el.set(CATALOG_ATTR, entry.id)
            return el, m.start(0), end
        if self.required:
            written = self.RE_LINK.match(data, pos=index)
            shown = written.group(1) if written and written.group(1) else text
            state.unresolved.append((self.NEWLINE_CLEANUP_RE.sub(" ", shown), data[m.start(0):end]))
        return None, m.start(0), end


class _ShortCatalogReference(_CatalogReference, ShortReferenceInlineProcessor):
    required = False

    def evalId(self, data: str, index: int, text: str) -> tuple[str, int, bool]:
        return text.lower(), index, True


class _Automail(InlineProcessor):
    """<name@example.org> as a plain mailto link (the built-in one hides it in entities)."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        address = self.unescape(m.group(1)).removeprefix("mailto:")  # "\." was a placeholder till now
        el = etree.Element("a", href="mailto:" + address)
        el.text = markdown.util.AtomicString(address)
        return el, m.start(0), m.end(0)


class _BareUrl(InlineProcessor):
    """A pasted https://… address becomes a link, as mail clients and MediaWiki do."""

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:
        url = m.group(1)
        while url.endswith(")") and url.count(")") > url.count("(") or url[-1] in _TRAILING:
            url = url[:-1]
        el = etree.Element("a", href=url)
        el.text = markdown.util.AtomicString(url)
        return el, m.start(0), m.start(1) + len(url)


class _CodeText(markdown.treeprocessors.Treeprocessor):
    """Give code elements their text as written: Python-Markdown stores it HTML-escaped.

    Also unwraps a link inside a link (an address pasted into a link's label), which no
    output can show: the inner one becomes its text.
    """

    def run(self, root: etree.Element) -> None:
        for el in root.iter("code"):
            if el.text:
                el.text = markdown.util.AtomicString(
                    el.text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
        for outer in root.iter("a"):
            for parent in outer.iter():
                for child in [c for c in parent if c.tag == "a"]:
                    _unwrap(parent, child)


def _unwrap(parent: etree.Element, child: etree.Element) -> None:
    """Replace `child` in `parent` by its text (and its tail)."""
    text = "".join(child.itertext()) + (child.tail or "")
    index = list(parent).index(child)
    if index:
        before = parent[index - 1]
        before.tail = (before.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)


class ClinicsExtension(Extension):
    """Catalog references, no raw HTML, readable mailto links, linear link and code-span scans."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.deregister("html_block")
        for name in ("html", "entity"):
            md.inlinePatterns.deregister(name)
        md.inlinePatterns.register(_CatalogReference(markdown.inlinepatterns.REFERENCE_RE, md), "reference", 170)
        md.inlinePatterns.register(backtick_processor(md), "backtick", 190)
        md.inlinePatterns.register(_Link(LINK_RE, md), "link", 160)
        md.inlinePatterns.register(_ImageLink(IMAGE_LINK_RE, md), "image_link", 150)
        md.inlinePatterns.register(_ImageReference(IMAGE_REFERENCE_RE, md), "image_reference", 140)
        md.inlinePatterns.register(
            _ShortCatalogReference(markdown.inlinepatterns.REFERENCE_RE, md), "short_reference", 130)
        md.inlinePatterns.register(_ShortImageReference(IMAGE_REFERENCE_RE, md), "short_image_ref", 125)
        md.inlinePatterns.register(_Automail(AUTOMAIL_RE, md), "automail", 110)
        md.inlinePatterns.register(_BareUrl(_BARE_URL, md), "bare_url", 105)
        md.treeprocessors.register(_CodeText(md), "code_text", -10)


class Parser:
    """Turns Markdown text into an element tree; one per process, reused."""

    def __init__(self, catalog: Catalog) -> None:
        self.md = markdown.Markdown(extensions=["tables", "sane_lists", ClinicsExtension()])
        self.catalog = catalog

    def tree(self, text: str, language: str = "") -> tuple[etree.Element, ParseState]:
        """Return the element tree of `text` (a digest in `language`) and what its references resolved to."""
        md = self.md
        md.reset()
        state = ParseState(self.catalog, language)
        md.clinics_state = state  # type: ignore[attr-defined]
        lines = limit_nesting(text.split("\n"), state.problems)
        try:
            for preprocessor in md.preprocessors:
                lines = preprocessor.run(lines)
            root = md.parser.parseDocument(lines).getroot()
            limit_paragraphs(root, text, state.problems)
            for treeprocessor in md.treeprocessors:
                replaced = treeprocessor.run(root)
                if replaced is not None:
                    root = replaced
        except RecursionError:  # limit_nesting makes this unlikely; a message beats a traceback
            state.problems.append(("too-deep", "the notes nest too deeply to be read", 0,
                                   "use at most a few levels of lists, quotes, links and emphasis"))
            root = etree.Element("div", {UNREADABLE: "1"})
        return root, state


UNREADABLE = "data-unreadable"  # set on the root when Python-Markdown could not read the text


class Locator:
    """Finds where a piece of text stands in a source, to report file:line:col."""

    def __init__(self, path: str, text: str, first_line: int) -> None:
        self.path = path
        self.text = text
        self.first_line = first_line
        self._starts: list[int] | None = None
        self.block_offsets: dict[int, int] = {}

    def location(self, offset: int) -> Location:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        line = bisect.bisect_right(self._starts, offset)
        return Location(self.path, self.first_line + line - 1, offset - self._starts[line - 1] + 1)

    def find(self, needle: str, start: int = 0) -> int:
        """Return the offset of `needle` at or after `start`, or -1."""
        return self.text.find(needle, start) if needle else -1

    def place_blocks(self, root: etree.Element) -> None:
        """Remember where each top-level block starts, searching in document order.

        A block is found by its first text, and the search for the next one starts after
        its last text, so that words repeated from one block to the next land on the right line.
        """
        cursor = 0
        for child in root:
            needle = first_text(child)
            found = self.find(needle, cursor) if needle else self._find_mark(child, cursor)
            if found < 0:
                found = self._next_line(cursor)
            else:
                cursor = found + len(needle)
            self.block_offsets[id(child)] = self.text.rfind("\n", 0, found) + 1
            last = last_text(child)
            after = self.find(last, found) if last else -1
            cursor = max(cursor, after + len(last) if after >= 0 else found + 1)

    def _find_mark(self, el: etree.Element, start: int) -> int:
        """Return where a block without text (an empty heading, a rule) starts, or -1."""
        pattern = _NO_TEXT.get(el.tag)
        found = pattern.search(self.text, start) if pattern else None
        return found.start() if found else -1

    def _next_line(self, start: int) -> int:
        """Return the start of the first non-blank line after the one holding `start`."""
        end_of_line = self.text.find("\n", start)
        found = _NON_BLANK.search(self.text, end_of_line + 1) if end_of_line >= 0 else None
        return found.start() if found else start

    def block(self, el: etree.Element) -> Location:
        return self.location(self.block_offsets.get(id(el), 0))

    def inside(self, block: etree.Element, needle: str) -> Location:
        """Return where `needle` first appears in or after `block`."""
        start = self.block_offsets.get(id(block), 0)
        found = self.find(needle, start)
        return self.location(found if found >= 0 else start)


_NO_TEXT = {
    **{f"h{n}": re.compile(rf"(?m)^ {{0,3}}#{{{n}}}(?!#)") for n in range(1, 7)},
    "hr": re.compile(r"(?m)^ {0,3}([-*_])(?: *\1){2,} *$"),
}
_NON_BLANK = re.compile(r"(?m)^[ \t]*\S")


def first_text(el: etree.Element) -> str:
    """Return the first line of the first text in `el`, as it is likely written in the source."""
    for text in el.itertext():
        stripped = text.strip()
        if stripped:
            return stripped.split("\n")[0][:40]
    return ""


def last_text(el: etree.Element) -> str:
    """Return the end of the last line of the last text in `el`, as it is likely written in the source."""
    texts = [text for text in el.itertext() if text.strip()]
    return texts[-1].strip().split("\n")[-1][-40:] if texts else ""


def plain_text(el: etree.Element) -> str:
    """Return the text of `el` with whitespace collapsed, as a reader sees it."""
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


def split_topics(root: etree.Element, locator: Locator, is_intro: bool = False) -> tuple[
        list[Topic], list[Diagnostic]]:
    """Return the level-2 sections of `root` as topics, and structural problems."""
    problems: list[Diagnostic] = []
    topics: list[Topic] = []
    if root.get(UNREADABLE):
        return topics, problems  # check_body reports why
    heading: etree.Element | None = None
    body: list[etree.Element] = []
    level = 1

    def close() -> None:
        if heading is None:
            return
        title = plain_text(heading)
        location = locator.block(heading)
        if not title:
            problems.append(error("empty-heading", "a topic heading has no title", location,
                                  "write the topic's title after '## '"))
        elif not body:
            problems.append(error("empty-topic", f"topic '{shown(title)}' has no notes", location,
                                  "write what was asked and answered under the heading, or remove it"))
        if len(topics) == MAX_TOPICS:
            problems.append(error(
                "too-many-topics", f"the digest has more than {MAX_TOPICS} topics (this is topic "
                f"{len(topics) + 1}); a call covers a handful", location,
                "merge related topics, and check that no line starts with '## ' by mistake"))
        topics.append(Topic(title, heading, tuple(body), location, is_intro))

    for child in root:
        tag = child.tag
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            new = int(tag[1])
            if new == 1:
                problems.append(error("heading-level", "a level-1 heading ('# …') is not allowed",
                                      locator.block(child),
                                      "the digest's title is generated; write topics as '## Title'"))
                continue
            if new > level + 1:
                problems.append(error(
                    "heading-level", f"heading level skips from {level} to {new}", locator.block(child),
                    f"use {'#' * (level + 1)} here, or add the missing level above it"))
            level = max(new, 2)
            if new <= 2:
                close()
                heading, body = child, []
                continue
        if heading is None:
            problems.append(error("text-before-topic", "there is text before the first topic heading",
                                  locator.block(child),
                                  "start the body with a topic heading ('## Title'); the opening paragraph "
                                  "is generated"))
            return [], problems
        body.append(child)
    close()
    if not topics and not problems:
        problems.append(error("no-topic", "the digest has no topic heading", locator.location(0),
                              "give each topic a level-2 heading: '## Title'"))
    return topics, problems


def parse_partial(parser: Parser, path: Path, display: str) -> tuple[list[Topic], list[Diagnostic]]:
    """Return the topics of a Markdown partial such as templates/intro.en.md."""
    text = normal(path.read_text(encoding="utf-8"))
    root, state = parser.tree(text)
    locator = Locator(display, text, 1)
    locator.place_blocks(root)
    topics, problems = split_topics(root, locator, is_intro=True)
    problems += check_body(root, state, locator, parser.catalog)
    return topics, problems


def _check_block_structure(block: etree.Element, locator: Locator) -> list[Diagnostic]:
    """Return a heading inside a list or quote, and text Python-Markdown could not read (its placeholders)."""
    problems = []
    for el in block.iter():
        if el is not block and el.tag in _HEADINGS:
            problems.append(error(
                "nested-heading", f"a heading ('{plain_text(el)[:40]}') inside a list or a quote",
                locator.inside(block, plain_text(el)[:40]),
                "start the heading at the beginning of a line, after a blank line, with no indentation"))
        leaked = [t for t in (el.text, el.tail, *el.attrib.values()) if t and _PLACEHOLDER.search(t)]
        if leaked:
            before = _PLACEHOLDER.split(leaked[0])[0].strip()[:40]
            problems.append(error(
                "unreadable-markdown", "Markdown could not read part of this paragraph: some of it would be lost",
                locator.inside(block, before or first_text(block)),
                "look for emphasis marks ('*', '_') or backticks next to each other, and separate them "
                "with a space, or escape one with '\\'"))
    return problems


_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_PLACEHOLDER = re.compile(f"[{markdown.util.STX}{markdown.util.ETX}]")


def check_body(root: etree.Element, state: ParseState, locator: Locator, catalog: Catalog) -> list[Diagnostic]:
    """Return the problems of the element tree that only the tree shows: links, images, references."""
    problems = [error(code, message, locator.location(offset), hint)
                for code, message, offset, hint in state.problems]
    for block in root:
        problems += _check_block_structure(block, locator)
        deepest = depth(block)
        if deepest > MAX_DEPTH:
            problems.append(error(
                "too-deep", f"this block nests {deepest} elements inside each other (lists, quotes, links, "
                f"emphasis); at most {MAX_DEPTH} are allowed", locator.block(block),
                "look for a run of '*', '_' or '[' that opens more than it closes"))
        cursor = locator.block_offsets.get(id(block), 0)
        for el in block.iter():
            if el.tag == "a":
                found, cursor = _find_link(el, locator, cursor)
                problems += _check_link(el, locator.location(found))
            elif el.tag == "img":
                found = locator.find("![", cursor)
                cursor = found + 2 if found >= 0 else cursor
                problems.append(error(
                    "image", "images are not supported in digests", locator.location(max(found, 0)),
                    "link to the image instead: [description](https://…)"))
    cursor = 0
    for label, raw in state.unresolved:
        found = locator.find(raw, cursor)
        found = found if found >= 0 else max(locator.find(raw), 0)
        cursor = found + 1
        problems.append(error("unknown-ref", f"no catalog entry or link definition for '{shown(label)}'",
                              locator.location(found), catalog.suggest(label)))
    return problems


_LINK_WINDOW = 4096


def _find_link(el: etree.Element, locator: Locator, cursor: int) -> tuple[int, int]:
    """Return where the target of link `el` is written at or after `cursor`, and where to search next.

    "](target" is preferred to the bare target, which may also stand in the link's text.
    """
    href = el.get("href", "")[:40]
    if not href:
        found = locator.find("[", cursor)
        return (found, found + 1) if found >= 0 else (cursor, cursor)
    for end in (cursor + _LINK_WINDOW, len(locator.text)):  # near first: a search to the end for every link is slow
        for prefix in ("](", "(", "<", ""):
            found = locator.text.find(prefix + href, cursor, end)
            if found >= 0:
                return found + len(prefix), found + len(prefix) + len(href)
    found = locator.find(href)  # a reference defined above its use
    if found >= 0:
        return found, cursor
    found = locator.find("[" + (el.text or "")[:40], cursor)  # the target is not as written: point at the text
    return (found, found + 1) if found >= 0 else (cursor, cursor)


_ALLOWED_SCHEMES = ("http", "https", "mailto")
_WHITESPACE = re.compile(r"\s")  # for str patterns, exactly the characters str.isspace() accepts


def link_problem(href: str) -> str | None:
    """Return why `href` may not be linked, or None when it is an http(s) or mailto address."""
    if not href.strip():
        return "empty"
    scheme, sep, rest = href.partition(":")
    if not sep or scheme.lower() not in _ALLOWED_SCHEMES or scheme != scheme.strip():
        return "scheme"
    if scheme.lower() == "mailto":
        return None if "@" in rest else "mailto"
    if not rest.startswith("//") or len(rest) <= 2 or _WHITESPACE.search(href):
        return "host"
    return None


def _check_link(el: etree.Element, location: Location) -> list[Diagnostic]:
    href = el.get("href", "")
    problem = link_problem(href)
    if problem is None:
        return []
    written = shown(href)
    if problem == "empty":
        return [error("bad-link", f"the link '{shown(plain_text(el))}' has no address", location,
                      "write the address between the parentheses: [text](https://…)")]
    if problem == "mailto":
        return [error("bad-link", f"mailto link '{written}' has no address", location,
                      "write mailto:name@example.org")]
    if problem == "host":
        return [error("bad-link", f"link '{written}' is not a complete web address", location,
                      "write the full address, e.g. https://meta.wikimedia.org/wiki/…")]
    return [error("link-scheme", f"link '{written}' is not an http, https or mailto address", location,
                  "only http://, https:// and mailto: links are allowed; write the full address")]
