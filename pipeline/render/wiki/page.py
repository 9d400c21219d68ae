"""Model -> wikitext: one Meta-Wiki page per digest version, written by walking the element tree.

Blocks and inlines have a function each. Inline content is gathered as tokens
(inline.py) so that each piece of text is escaped knowing what stands next to it;
escape.py does all the escaping. Blocks that wiki list syntax cannot hold on one line
(a quotation or a table inside a list item, a list that starts at 3) are written as
one-line HTML, which MediaWiki accepts and renders the same.
"""
from __future__ import annotations

import copy
import dataclasses
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Iterator, Sequence

from pipeline import timing
from pipeline.model.archive import Archive
from pipeline.model.catalog import Catalog, split_prefix
from pipeline.model.digest import CATALOG_ATTR, CatalogEntry, Digest
from pipeline.model.output import Output
from pipeline.model.followups import CHECK_ATTR, PAGE_ATTR
from pipeline.model.settings import Language, Site, wiki_url
from pipeline.render.document import (BLANK, Check, Foreign, Inline, Link, Paragraph, document, entry_item, fill,
                                       page_title)
from pipeline.render.followups import BOXES, with_followups
from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.escape import Context
from pipeline.render.wiki.inline import (
    BareUrl,
    Markup,
    Text,
    Token,
    external,
    has_text,
    join,
    wikilink,
    wikilink_target,
)


_HEADING_LINE = re.compile(r"(={1,6}) .* \1")
_LISTS = ("ul", "ol")
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def file_name(digest: Digest) -> str:
    """Return the file of `digest`'s page under build/wiki/: 001.wiki, 006.es.wiki."""
    return f"{digest.id}.wiki"


def render(archive: Archive, digest: Digest) -> Iterator[Output]:
    """Yield build/wiki/<id>.wiki, the Meta page of `digest`."""

    with timing.stage("wikitext"):
        data = page_text(archive, digest).encode("utf-8")
    yield Output(f"wiki/{file_name(digest)}", data)


def page_text(archive: Archive, digest: Digest) -> str:
    """Return the complete wikitext of `digest`'s page."""
    doc = with_followups(archive, document(archive, digest))
    writer = Writer(archive.site, archive.catalog)
    parts = [writer.paragraph(pieces) for pieces in doc.opening]
    for section in doc.sections:
        parts.append(heading_line(2, wikiescape.heading(section.heading)))
        parts.append(writer.blocks(section.topic.elements))
    for part in doc.followups:
        parts.append(heading_line(2, wikiescape.heading(part.heading)))
        parts.append(writer.items(part.items))
    if doc.tools:
        parts.append(heading_line(2, wikiescape.heading(doc.tools_heading)))
        parts.append(writer.tools(doc.tools, doc.language))
    parts.append(writer.paragraph(navigation(archive, digest, doc.language)))
    site = archive.site
    main = site.languages.get(site.default_language, doc.language)
    if doc.language.direction != main.direction:  # the wiki lays its pages out in its own language's direction
        parts = [f'<div lang="{doc.language.code}" dir="{doc.language.direction}">', *parts, "</div>"]
    parts.append(category_link(site.wiki.category))
    return join_blocks(parts)


def navigation(archive: Archive, digest: Digest, language: Language) -> Paragraph:
    """Return "← Previous: … · Archive … · Next: … →": the digests of the calls before and after, and the index.

    An archived page stays as it was when the call was new; a list of upcoming calls on it would
    be out of date for ever (the emails keep theirs: they are read when they are sent).
    """
    site = archive.site
    prefix = site.wiki.page_prefix

    def link(other: Digest) -> Link:
        title = page_title(archive, other)
        return Link(language.t("title", number=other.number_text), wiki_url(site, title), title)

    before, after = archive.neighbours(digest)
    parts: list[Paragraph] = []
    if before is not None:
        parts.append(fill(language.strings["previous_digest"], link=link(before)))
    parts.append((Link(language.t("archive_heading"), wiki_url(site, prefix), prefix),))
    if after is not None:
        parts.append(fill(language.strings["next_digest"], link=link(after)))
    return tuple(piece for n, part in enumerate(parts) for piece in ((" · ",) if n else ()) + part)


def foreign_tokens(text: str, lang: str, direction: str, context: Context = wikiescape.RUNNING) -> list[Token]:
    """Return text in another language than the page's, in <span lang=… dir=…>: read in its own voice."""
    return [Markup(f'<span lang="{lang}" dir="{direction}">'), Text(text, context), Markup("</span>")]


def join_blocks(parts: Iterable[str]) -> str:
    """Return blocks as page text: a blank line between blocks, none after a heading."""
    out: list[str] = []
    for part in parts:
        if not part:
            continue
        if out:
            last = out[-1]
            out.append("\n" if _HEADING_LINE.fullmatch(last[last.rfind("\n") + 1:]) else "\n\n")
        out.append(part)
    out.append("\n")
    return "".join(out)


def heading_line(level: int, wikitext: str) -> str:
    marks = "=" * level
    return f"{marks} {wikitext} {marks}"


def category_link(category: str) -> str:
    title = wikiescape.page_title(category)
    return f"[[Category:{title}]]" if category and title else ""


# ------------------------------------------------------------------ the writer

class Writer:
    """Writes blocks and inlines of the element tree as wikitext, resolving links against the catalog."""

    def __init__(self, site: Site, catalog: Catalog) -> None:
        self.site = site
        self.catalog = catalog
        self._blocks: dict[str, Callable[[etree.Element], str]] = {
            "p": self._paragraph_block, "ul": self._list_block, "ol": self._list_block,
            "blockquote": self._blockquote, "pre": self._pre, "table": self._table, "hr": lambda el: "----",
            **{tag: self._heading for tag in _HEADINGS}}
        self._inlines: dict[str, Callable[[etree.Element, Context, list[Token], frozenset[str]], None]] = {
            "em": self._em, "strong": self._strong, "code": self._code, "a": self._link, "br": self._br,
            "span": self._span}

    # -- blocks ------------------------------------------------------------

    def blocks(self, elements: Iterable[etree.Element]) -> str:
        """Return block elements as wikitext, a blank line between them."""
        return join_blocks(self.block(el) for el in elements).rstrip("\n")

    def block(self, el: etree.Element) -> str:
        """Return one block element as wikitext lines."""
        return self._blocks.get(el.tag, self._paragraph_block)(el)

    def paragraph(self, pieces: Sequence[Inline]) -> str:
        """Return a generated paragraph (text and Links from the document) as one line."""
        return join(self._pieces(pieces), start=True)

    def items(self, items: Iterable[Sequence[Inline]]) -> str:
        """Return generated list items (text and Links from the document), one "* " line each."""
        return "\n".join(f"* {join(self._pieces(pieces))}" for pieces in items)

    def cell(self, pieces: Sequence[Inline]) -> str:
        """Return generated text and links (from the document) as a table cell's content."""
        return join(self._pieces(pieces, wikiescape.CELL))

    def _pieces(self, pieces: Sequence[Inline], context: Context = wikiescape.RUNNING) -> list[Token]:
        tokens: list[Token] = []
        for piece in pieces:
            if isinstance(piece, Link) and piece.lang:
                tokens += [Markup(f'<span lang="{piece.lang}" dir="{piece.dir}">'), *self._document_link(piece),
                           Markup("</span>")]
            elif isinstance(piece, Link):
                tokens += self._document_link(piece)
            elif isinstance(piece, Check):
                tokens.append(box(piece.done, piece.state))
            elif isinstance(piece, Foreign):
                tokens += foreign_tokens(piece.text, piece.lang, piece.dir)
            else:
                tokens.append(Text(piece, context))
        return tokens

    def tools(self, entries: Iterable[CatalogEntry], language: Language) -> str:
        """Return "Tools and resources mentioned": each entry linked, then " – " and its description."""
        return "\n".join(self.tool_line(entry, language) for entry in entries)

    def tool_line(self, entry: CatalogEntry, language: Language) -> str:
        """Return one list item: the entry's name linked, then " – " and its description, in `language`.

        A name or description the catalog lacks in `language` is the English one, in <span lang="en" dir="ltr">.
        """
        link, dash, description = entry_item(entry, language)
        assert isinstance(link, Link)
        url, page = entry.target(language.code)
        target = entry if (url, page) == (entry.url, entry.page) else dataclasses.replace(entry, page=page, url=url)
        tokens = self._entry_link(target, [Text(link.label, wikiescape.LABEL)], url)
        if link.lang:
            tokens = [Markup(f'<span lang="{link.lang}" dir="{link.dir}">'), *tokens, Markup("</span>")]
        tokens.append(Text(str(dash), wikiescape.RUNNING))
        if isinstance(description, Foreign):
            tokens += foreign_tokens(description.text, description.lang, description.dir)
        else:
            tokens.append(Text(str(description), wikiescape.RUNNING))
        return f"* {join(tokens)}"

    def inline(self, el: etree.Element, context: Context = wikiescape.RUNNING, start: bool = False) -> str:
        """Return the inline content of `el` as one line of wikitext; `start`: it begins the line."""
        tokens: list[Token] = []
        self._content(el, context, tokens, frozenset())
        return join(tokens, start)

    def _paragraph_block(self, el: etree.Element) -> str:
        return self.inline(el, start=True)

    def _heading(self, el: etree.Element) -> str:
        level = min(int(el.tag[1]), 6)
        return heading_line(level, self.inline(el) or wikiescape.NOWIKI)

    def _blockquote(self, el: etree.Element) -> str:
        return f"<blockquote>\n{self.blocks(el)}\n</blockquote>"

    def _pre(self, el: etree.Element) -> str:
        return f"<pre>{wikiescape.preformatted(_code_text(el))}</pre>"

    def _table(self, el: etree.Element) -> str:
        lines = ['{| class="wikitable"']
        for n, row in enumerate(el.iter("tr")):
            if n:
                lines.append("|-")
            for cell in row:
                header = cell.tag == "th"
                style = cell.get("style") or (f"text-align: {cell.get('align')};" if cell.get("align") else "")
                attributes = f'style="{wikiescape.attribute(style)}" | ' if style else ""
                content = self.inline(cell, wikiescape.HEADER_CELL if header else wikiescape.CELL)
                lines.append(f"{'!' if header else '|'} {attributes}{content}".rstrip(" "))
        lines.append("|}")
        return "\n".join(lines)

    def _list_block(self, el: etree.Element) -> str:
        if _start(el) != 1:
            items = "\n".join(f"<li>{self._item_flat(li)}</li>" for li in el if li.tag == "li")
            return f'<ol start="{_start(el)}">\n{items}\n</ol>'
        return "\n".join(self._list_lines(el, ""))

    def _list_lines(self, el: etree.Element, prefix: str) -> list[str]:
        mark = prefix + ("#" if el.tag == "ol" else "*")
        lines = []
        for li in el:
            if li.tag != "li":
                continue
            first, blocks = self._item_parts(li)
            lines.append(f"{mark} {first}".rstrip(" "))
            for block in blocks:
                if block.tag in _LISTS and _start(block) == 1:
                    lines += self._list_lines(block, mark)
                elif block.tag == "p":
                    lines.append(f"{mark}: {self.inline(block)}".rstrip(" "))
                else:
                    lines.append(f"{mark}: {self._flat(block)}")
        return lines

    def _item_parts(self, li: etree.Element) -> tuple[str, list[etree.Element]]:
        """Return a list item's first line (its inline content) and the blocks after it."""
        tokens: list[Token] = [Text(li.text, wikiescape.RUNNING)] if li.text else []
        blocks: list[etree.Element] = []
        for child in li:
            if child.tag not in self._blocks:
                if blocks:  # inline content after a block: a paragraph of its own
                    blocks.append(_paragraph_of(child))
                else:
                    self._inline_element(child, wikiescape.RUNNING, tokens, frozenset())
            elif child.tag == "p" and not blocks and not has_text(tokens):
                self._content(child, wikiescape.RUNNING, tokens, frozenset())
            else:
                blocks.append(child)
            if child.tail and blocks:
                if child.tail.strip(BLANK):
                    blocks.append(_paragraph_of(child.tail))
            elif child.tail:
                tokens.append(Text(child.tail, wikiescape.RUNNING))
        return join(tokens), blocks

    # -- one-line HTML, for blocks inside a list item ------------------------

    def _flat(self, el: etree.Element) -> str:
        tag = el.tag
        if tag in _LISTS:
            opening = f'<ol start="{_start(el)}">' if tag == "ol" and _start(el) != 1 else f"<{tag}>"
            return opening + "".join(f"<li>{self._item_flat(li)}</li>" for li in el if li.tag == "li") + f"</{tag}>"
        if tag == "blockquote":
            return "<blockquote>" + "".join(self._flat(child) for child in el) + "</blockquote>"
        if tag == "pre":
            return f"<pre>{wikiescape.preformatted(_code_text(el), one_line=True)}</pre>"
        if tag == "hr":
            return "<hr />"
        if tag == "table":
            return self._table_flat(el)
        if tag in _HEADINGS:
            return f"<{tag}>{self.inline(el)}</{tag}>"
        return f"<p>{self.inline(el)}</p>"

    def _item_flat(self, li: etree.Element) -> str:
        first, blocks = self._item_parts(li)
        return first + "".join(self._flat(block) for block in blocks)

    def _table_flat(self, el: etree.Element) -> str:
        rows = []
        for row in el.iter("tr"):
            cells = []
            for cell in row:
                style = cell.get("style")
                attributes = f' style="{wikiescape.attribute(style)}"' if style else ""
                cells.append(f"<{cell.tag}{attributes}>{self.inline(cell)}</{cell.tag}>")
            rows.append("<tr>" + "".join(cells) + "</tr>")
        return '<table class="wikitable">' + "".join(rows) + "</table>"

    # -- inlines -----------------------------------------------------------

    def _content(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        if el.text:
            out.append(Text(el.text, context))
        for child in el:
            self._inline_element(child, context, out, styles)
            if child.tail:
                out.append(Text(child.tail, context))

    def _inline_element(self, el: etree.Element, context: Context, out: list[Token],
                        styles: frozenset[str]) -> None:
        self._inlines.get(el.tag, self._content)(el, context, out, styles)

    def _em(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        self._style(el, context, out, styles, "''")

    def _strong(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        self._style(el, context, out, styles, "'''")

    def _style(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str],
               mark: str) -> None:
        if mark in styles or not "".join(el.itertext()).strip():
            self._content(el, context, out, styles)  # italic inside italic is italic; '''' would be junk
            return
        out.append(Markup(mark))
        self._content(el, context, out, styles | {mark})
        out.append(Markup(mark))

    def _code(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        out.append(Markup("<code>"))
        self._content(el, context, out, styles)
        out.append(Markup("</code>"))

    def _br(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        out.append(Markup("<br />"))

    def _span(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        if el.get(CHECK_ATTR):
            out.append(box(el.get(CHECK_ATTR) == "done", el.get("aria-label", "")))
        else:
            self._content(el, context, out, styles)

    def _link(self, el: etree.Element, context: Context, out: list[Token], styles: frozenset[str]) -> None:
        href = el.get("href", "")
        label: list[Token] = []
        self._content(el, context.in_label(), label, styles)
        entry = self.catalog.index.get(el.get(CATALOG_ATTR, "")) if el.get(CATALOG_ATTR) else None
        target = wikilink_target(el.get(PAGE_ATTR, ""), local=True) if el.get(PAGE_ATTR) else None
        if entry is not None:
            page = next((page for _, page, url in entry.pages if url == href), entry.page)  # the digest's language's
            out += self._entry_link(entry if page == entry.page else dataclasses.replace(entry, page=page, url=href),
                                    label, href)
        elif target is not None:
            out += wikilink(target, label)
        elif len(el) == 0 and (el.text or "") == href:
            out.append(BareUrl(href))
        else:
            out += external(href, label)

    # -- link targets ------------------------------------------------------

    def _entry_link(self, entry: CatalogEntry, label: list[Token], href: str) -> list[Token]:
        """Return a catalog link: a wikilink to its page, or an external link to its URL."""
        if entry.page:
            prefix, title = split_prefix(entry.page, self.site)
            local = prefix == self.site.wiki.local_prefix
            target = wikilink_target(title.strip() if local else entry.page, local)
            if target is not None:
                return wikilink(target, label)
        return external(href or entry.url, label)

    def _document_link(self, link: Link) -> list[Token]:
        label: list[Token] = [Text(link.label, wikiescape.LABEL)]
        target = wikilink_target(link.page, local=True) if link.page else None
        return wikilink(target, label) if target is not None else external(link.url, label)


def box(done: bool, state: str) -> Markup:
    """Return a follow-up's box: a checkbox character, read out by screen readers as its state in words."""
    return Markup(f'<span role="img" aria-label="{wikiescape.attribute(state)}">{BOXES[done]}</span>')


def _start(el: etree.Element) -> int:
    try:
        return int(el.get("start", "1")) if el.tag == "ol" else 1
    except ValueError:
        return 1


def _code_text(el: etree.Element) -> str:
    return "".join(el.itertext()).rstrip("\n")


def _paragraph_of(content: etree.Element | str) -> etree.Element:
    """Return text or an inline element that follows a block in a list item, as a paragraph."""
    paragraph = etree.Element("p")
    if isinstance(content, str):
        paragraph.text = content
    else:
        inline = copy.copy(content)
        inline.tail = None
        paragraph.append(inline)
    return paragraph

