"""Letter -> the HTML email body: Jinja2 (autoescape, StrictUndefined), then premailer last.

The notes are written from the element tree, one function per element type; the escaping is
markupsafe's, and the finished fragments become Markup in one function, `_markup`. The
stylesheet (templates/email.css) is parsed once per process and inlined by premailer, which
keeps its @media rules in a <style> block for the clients that honour them.
"""
from __future__ import annotations

import functools
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup, escape

from pipeline import timing
from pipeline.adapters.premailer import Inliner, PublicInliner, inliner
from pipeline.model.archive import DEFAULT_TEMPLATES
from pipeline.model import locale
from pipeline.model.followups import CHECK_ATTR
from pipeline.render.document import BLANK, Check, Foreign, Inline, Link, Paragraph, collapsed
from pipeline.render.email.letter import Letter


TEMPLATE = "email.html.j2"
STYLESHEET = "email.css"
HEADING_SHIFT = 0  # the email's h1 is the title and topics are h2, as in the digest: levels stay
# What a browser collapses: ASCII whitespace. A no-break or ideographic space is text, and stays.
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")
# bgcolor is HTML on <body> and table cells only, where old Outlook reads it; premailer sets it on every
# element with a background colour (the column <div>, <code>), which the Nu HTML Checker reports as an error
# and no client needs there. Attribute values cannot hold "<" or ">" (the serializer escapes them).
_STRAY_BGCOLOR = re.compile(r'(<(?!(?:body|table|tr|td|th)\b)[a-z][a-z0-9]*\b[^<>]*?) bgcolor="[^"<>]*"')


@dataclass(frozen=True)
class SectionView:
    heading: str
    body: Markup


@dataclass(frozen=True)
class ListView:
    heading: str
    items: tuple[Markup, ...]


@dataclass(frozen=True)
class EmailView:
    """Everything the template shows, already formatted; the template only loops and tests."""

    language: str
    direction: str
    title: str
    dateline: str
    greeting: str
    opening: tuple[Markup, ...]
    sections: tuple[SectionView, ...]
    appendix: tuple[ListView, ...]
    signature: str
    footer: tuple[Markup, ...]


def render_html(letter: Letter, templates: Path = DEFAULT_TEMPLATES) -> str:
    """Return the HTML body of `letter`, made with the template and stylesheet in `templates`."""
    with timing.stage("html"):
        html = _template(templates).render(email=view(letter))
    with timing.stage("inline"):
        return _STRAY_BGCOLOR.sub(r"\1", inliner_for(templates).inline(html))


def view(letter: Letter) -> EmailView:
    """Return the template's context for `letter`."""
    code = letter.language
    return EmailView(
        language=code, direction=locale.direction(code), title=letter.title,
        dateline=letter.dateline,
        greeting=letter.greeting, opening=tuple(_markup(pieces_html(p)) for p in letter.opening),
        sections=tuple(SectionView(s.heading, _markup(blocks_html(s.topic.elements))) for s in letter.sections),
        appendix=tuple(ListView(part.heading, tuple(_markup(pieces_html(p)) for p in part.items))
                       for part in letter.appendix),
        signature=letter.signature, footer=tuple(_markup(pieces_html(p)) for p in letter.footer))


def _markup(html: str) -> Markup:
    """Mark HTML built by this module's escaping functions as safe: the only place that does."""
    return Markup(html)


def pieces_html(pieces: Paragraph) -> str:
    """Return generated text and links as HTML."""
    return "".join(_piece_html(piece) for piece in pieces)


def _piece_html(piece: Inline) -> str:
    if isinstance(piece, Link) and piece.lang:
        return (f'<a href="{escape(piece.url)}" lang="{escape(piece.lang)}" dir="{escape(piece.dir)}">'
                f'{escape(piece.label)}</a>')
    if isinstance(piece, Link):
        return _anchor(piece.url, escape(piece.label))
    if isinstance(piece, Foreign):
        return foreign_html(piece)
    if isinstance(piece, Check):
        return _box(piece.done, piece.state)
    return str(escape(piece))


def foreign_html(piece: Foreign) -> str:
    """Return text in another language than the letter's, marked so that it is read in its own voice."""
    return f'<span lang="{escape(piece.lang)}" dir="{escape(piece.dir)}">{escape(piece.text)}</span>'


def _box(done: bool, state: str) -> str:
    """Return a follow-up's box: a checkbox character, read out by screen readers as its state in words."""
    return f'<span role="img" aria-label="{escape(state)}">{BOXES[done]}</span>'


BOXES = {False: "\u2610", True: "\u2611"}  # ☐ ☑


def _anchor(href: str, inner: str) -> str:
    return f'<a href="{escape(href)}">{inner}</a>'


def _text(text: str | None) -> str:
    """Return running text escaped, its whitespace collapsed as a browser would."""
    return escape(collapsed(text)) if text else ""


# Inline elements.

def inline_html(el: etree.Element) -> str:
    """Return the HTML of the text and inline children of `el` (not its tail)."""
    parts = [_text(el.text)]
    for child in el:
        parts.append(_INLINE.get(child.tag, inline_html)(child))
        parts.append(_text(child.tail))
    return "".join(parts)


def _wrapped(tag: str) -> Callable[[etree.Element], str]:
    return lambda el: f"<{tag}>{inline_html(el)}</{tag}>"


def _code(el: etree.Element) -> str:
    return f"<code>{escape(el.text or '')}</code>"


def _link(el: etree.Element) -> str:
    return _anchor(el.get("href", ""), inline_html(el))


def _span(el: etree.Element) -> str:
    if el.get(CHECK_ATTR):
        return _box(el.get(CHECK_ATTR) == "done", el.get("aria-label", ""))
    return inline_html(el)


_INLINE: dict[str, Callable[[etree.Element], str]] = {
    "em": _wrapped("em"), "strong": _wrapped("strong"), "code": _code, "a": _link, "br": lambda el: "<br>",
    "span": _span,
}


# Block elements.

def blocks_html(elements: Iterable[etree.Element]) -> str:
    """Return the HTML of block `elements`, one per line."""
    return "\n".join(_BLOCK.get(el.tag, _paragraph)(el) for el in elements)


def _paragraph(el: etree.Element) -> str:
    return f"<p>{inline_html(el).strip(BLANK)}</p>"


def _heading(el: etree.Element) -> str:
    level = min(int(el.tag[1]) + HEADING_SHIFT, 6)
    return f"<h{level}>{inline_html(el).strip(BLANK)}</h{level}>"


def _flow(el: etree.Element) -> str:
    """Return the HTML of a container that mixes running text and blocks (a list item, a quote)."""
    parts = [_text(el.text)]
    for child in el:
        block = _BLOCK.get(child.tag)
        parts.append(block(child) if block else _INLINE.get(child.tag, inline_html)(child))
        parts.append(_text(child.tail))
    return "".join(parts).strip(BLANK)


def _list(el: etree.Element) -> str:
    start = el.get("start", "")
    attributes = f' start="{int(start)}"' if el.tag == "ol" and start.isdigit() and int(start) != 1 else ""
    items = "\n".join(f"<li>{_flow(item)}</li>" for item in el if item.tag == "li")
    return f"<{el.tag}{attributes}>\n{items}\n</{el.tag}>"


def _quote(el: etree.Element) -> str:
    return f"<blockquote>{_flow(el)}</blockquote>"


def _preformatted(el: etree.Element) -> str:
    return f"<pre><code>{escape(''.join(el.itertext()).rstrip(chr(10)))}</code></pre>"


def _table(el: etree.Element) -> str:
    parts = ["<table>"]
    for group in el:
        rows = [group] if group.tag == "tr" else [tr for tr in group if tr.tag == "tr"]
        tag = group.tag if group.tag in ("thead", "tbody", "tfoot") else "tbody"
        parts.append(f"<{tag}>")
        parts += ["<tr>" + "".join(_cell(cell) for cell in tr if cell.tag in ("th", "td")) + "</tr>" for tr in rows]
        parts.append(f"</{tag}>")
    parts.append("</table>")
    return "\n".join(parts)


def _cell(cell: etree.Element) -> str:
    match = _ALIGN.search(cell.get("style", ""))
    attributes = f' align="{match[1]}" style="text-align:{match[1]}"' if match else ""
    return f"<{cell.tag}{attributes}>{_flow(cell)}</{cell.tag}>"


_BLOCK: dict[str, Callable[[etree.Element], str]] = {
    "p": _paragraph, "ul": _list, "ol": _list, "blockquote": _quote, "pre": _preformatted, "table": _table,
    "hr": lambda el: "<hr>", "div": _flow, **{f"h{level}": _heading for level in range(1, 7)},
}


# The template and the inliner, built once per process and kept while their files stay the same.

def _template(templates: Path = DEFAULT_TEMPLATES) -> jinja2.Template:
    return _environment(templates).get_template(TEMPLATE)  # Jinja reloads it when its file changes


@functools.cache
def _environment(templates: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates), autoescape=True, undefined=jinja2.StrictUndefined,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def stylesheet(templates: Path = DEFAULT_TEMPLATES) -> str:
    """Return the text of the email stylesheet in `templates`."""
    return (templates / STYLESHEET).read_text(encoding="utf-8")


def inliner_for(templates: Path = DEFAULT_TEMPLATES) -> Inliner | PublicInliner:
    """Return the inliner of the stylesheet in `templates`, made once per process and stylesheet."""
    return _inliner_of(stylesheet(templates))


@functools.cache
def _inliner_of(css: str) -> Inliner | PublicInliner:
    return inliner(css)
