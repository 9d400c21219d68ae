"""Letter -> the HTML email body: Jinja2 (autoescape, StrictUndefined), then premailer last.

The notes are written from the element tree, one function per element type; the escaping is
markupsafe's, and the finished fragments become Markup in one function, `_markup`. The
stylesheet (templates/email.css) is parsed once per process and inlined by premailer, which
keeps its @media rules in a <style> block for the clients that honour them.
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib
import logging
import os
import pickle
import re
import sys
import types
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cssutils
import jinja2
from lxml import etree as lxml_etree


class _OnFirstUse(types.ModuleType):
    """A stand-in for a module, importing the real one when one of its names is first used."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:  # asked while it stands in: there is no real one yet
            raise AttributeError(name)
        return getattr(importlib.import_module(self.__name__), name)


def _import_without(module: str, name: str) -> None:
    """Import `module` while `name` (which it imports but may never use) is a stand-in.

    premailer imports requests for stylesheets it would fetch over the network, which we never
    let it do (allow_network=False); loading requests costs a tenth of an incremental build.
    The stand-in is gone from sys.modules afterwards, so any other import gets the real module.
    (importlib's LazyLoader does not help here: `import` itself reads the module's __spec__.)
    """
    if name in sys.modules or module in sys.modules:
        importlib.import_module(module)
        return
    sys.modules[name] = _OnFirstUse(name)
    try:
        importlib.import_module(module)
    finally:
        del sys.modules[name]


_import_without("premailer", "requests")
import premailer  # noqa: E402 - after _import_without, on purpose
from markupsafe import Markup, escape

from . import timing
from .archive import DEFAULT_TEMPLATES
from .document import BLANK, Link, Paragraph, collapsed
from .files import write_atomic

if TYPE_CHECKING:
    from .email_mime import Letter

TEMPLATE = "email.html.j2"
STYLESHEET = "email.css"
HEADING_SHIFT = 0  # the email's h1 is the title and topics are h2, as in the digest: levels stay
# What a browser collapses: ASCII whitespace. A no-break or ideographic space is text, and stays.
_ALIGN = re.compile(r"text-align:\s*(left|right|center)")
_RTL = frozenset({"ar", "arc", "ckb", "dv", "fa", "he", "ks", "ps", "sd", "ug", "ur", "yi"})
# Keeps an inbox preview to the preheader: invisible joiners that clients do not collapse.
_PREHEADER_FILL = "\u034f\u200c\u00a0" * 40


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
    preheader: str
    preheader_fill: str
    dateline: str
    greeting: str
    opening: tuple[Markup, ...]
    sections: tuple[SectionView, ...]
    appendix: tuple[ListView, ...]
    signature: str
    footer: tuple[Markup, ...]


def render_html(letter: Letter, templates: Path = DEFAULT_TEMPLATES, cache: Path | None = None) -> str:
    """Return the HTML body of `letter`, made with the template and stylesheet in `templates`.

    `cache`: a folder where an earlier build may have kept the stylesheet's parsed rules.
    """
    with timing.stage("html"):
        html = _template(templates).render(email=view(letter))
    with timing.stage("inline"):
        return _inliner(templates, cache).inline(html)


def view(letter: Letter) -> EmailView:
    """Return the template's context for `letter`."""
    code = letter.language
    return EmailView(
        language=code, direction="rtl" if code.split("-")[0] in _RTL else "ltr", title=letter.title,
        preheader=letter.preheader, preheader_fill=_PREHEADER_FILL, dateline=letter.dateline,
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
    return "".join(_anchor(piece.url, escape(piece.label)) if isinstance(piece, Link) else escape(piece)
                   for piece in pieces)


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


_INLINE: dict[str, Callable[[etree.Element], str]] = {
    "em": _wrapped("em"), "strong": _wrapped("strong"), "code": _code, "a": _link, "br": lambda el: "<br>",
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


def _inliner(templates: Path = DEFAULT_TEMPLATES, cache: Path | None = None) -> Inliner:
    return _inliner_of(stylesheet(templates), cache)


@functools.cache
def _inliner_of(css: str, cache: Path | None) -> Inliner:
    _memoize_merge_styles()
    if cache is not None:
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError, pickle.UnpicklingError):
            rules, media = pickle.loads((cache / _parsed_name(css)).read_bytes())
            return Inliner(css, (tuple(rules), str(media)))
    inliner = Inliner(css)
    _parsed_here[css] = (inliner.rules, inliner.media)
    return inliner


# The stylesheets this process parsed: the build keeps them in its cache folder when it succeeds,
# for the next build (a one-digest edit) to skip cssutils' parse, a tenth of its time.
_parsed_here: dict[str, tuple[tuple[Any, ...], str]] = {}


def _parsed_name(css: str) -> str:
    """Return the cache file name of `css` parsed by this premailer and cssutils."""
    versions = [os.stat(module.__file__).st_mtime_ns for module in (premailer, cssutils)]  # type: ignore[arg-type]
    digest = hashlib.sha256(repr((css, premailer.__version__, versions)).encode("utf-8")).hexdigest()
    return f"stylesheet-{digest[:24]}.pickle"


def keep_parsed(cache: Path, templates: Path) -> None:
    """Write the stylesheet of `templates` into `cache`, if this process parsed it, for the next build."""
    css = stylesheet(templates)
    if css not in _parsed_here:
        return
    name = _parsed_name(css)
    if not (cache / name).exists():
        write_atomic(cache / name, pickle.dumps(_parsed_here[css], protocol=pickle.HIGHEST_PROTOCOL))
    for old in cache.glob("stylesheet-*.pickle"):  # of an older stylesheet or premailer
        if old.name != name:
            old.unlink(missing_ok=True)


def _memoize_merge_styles() -> None:
    """Make premailer remember merged styles: a message asks for the same few hundred times.

    merge_styles is a pure function of its arguments (the element's own style, the rules'
    declarations, their pseudo-classes), so its answers can be kept; the email's 200-odd
    elements share a dozen combinations. This halves the time premailer takes per message.
    """
    module = premailer.premailer
    if getattr(module.merge_styles, "memoized", False):
        return
    merge = module.merge_styles

    @functools.lru_cache(maxsize=4096)
    def remembered(inline: str, styles: tuple[tuple[tuple[str, str], ...], ...], classes: tuple[str, ...],
                   remove_unset: bool) -> str:
        return merge(inline, [list(s) for s in styles], list(classes), remove_unset_properties=remove_unset)

    def merge_styles(inline_style: str, new_styles: list[Any], classes: list[str],
                     remove_unset_properties: bool = False) -> str:
        return remembered(inline_style, tuple(map(tuple, new_styles)), tuple(classes), remove_unset_properties)

    merge_styles.memoized = True  # type: ignore[attr-defined]
    module.merge_styles = merge_styles


class Inliner(premailer.Premailer):
    """premailer with the stylesheet parsed once: its rules and its leftover @media block are kept.

    Premailer re-reads every stylesheet on every transform (cssutils parse, rule list, @media
    text); here that happens once per process, and a message costs only the selector matching.
    """

    def __init__(self, css: str, parsed: tuple[tuple[Any, ...], str] | None = None) -> None:
        # cssutils reports every property it does not know (mso-hide, -webkit-…) as a warning.
        cssutils.log.setLevel(logging.CRITICAL)
        super().__init__(
            css_text=[css], allow_network=False, allow_loading_external_files=False,
            disable_link_rewrites=True, keep_style_tags=False, remove_classes=False, strip_important=True,
            cache_css_parsing=False, disable_validation=True, cssutils_logging_level=logging.CRITICAL)
        if parsed is None:
            rules, leftover = self._parse_style_rules(css, 0)
            parsed = tuple(rules), self._css_rules_to_string(leftover)
        self.rules, self.media = parsed
        self._basic: dict[str, tuple[tuple[str, str], ...]] = {}

    def _style_to_basic_html_attributes(self, element: Any, style_content: str, force: bool = False) -> None:
        """Set the HTML attributes Outlook reads (align, bgcolor, width …) from an element's style.

        premailer parses the style again for each of a message's 200-odd elements; they share a
        dozen styles, so each style's attributes are worked out once, by premailer, and kept.
        """
        attributes = self._basic.get(style_content)
        if attributes is None:
            probe = lxml_etree.Element("probe")
            super()._style_to_basic_html_attributes(probe, style_content, force=True)
            attributes = tuple(probe.attrib.items())
            if len(self._basic) < 4096:
                self._basic[style_content] = attributes
        for key, value in attributes:
            if force or key not in element.attrib:
                element.attrib[key] = value

    def _process_css_text(self, css_text: str, index: int, rules: list[Any], head: Any) -> None:
        rules.extend(self.rules)
        if head is not None and self.media:
            style = lxml_etree.SubElement(head, "style")
            style.attrib["type"] = "text/css"
            style.text = self.media

    def inline(self, html: str) -> str:
        """Return `html` with the stylesheet's rules in style attributes and its @media rules in <head>."""
        return str(self.transform(html, pretty_print=False)) + "\n"
