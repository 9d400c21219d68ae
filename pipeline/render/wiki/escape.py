"""Plain text -> wikitext that MediaWiki shows as exactly that text: the only wikitext escaping.

Every piece of text a page holds passes through one function here, chosen by where it
stands (running text, line start, link label, table cell, URL, page title, <pre>).
Escapes are minimal so that the wikitext stays readable: a numeric character reference
(&#123;) only on the character that would complete a construct ("{{", "[[", "~~~",
"''", "__NOTOC__"), "<nowiki/>" where a character reference cannot split a sequence,
and percent-encoding for the characters that end a URL. MediaWiki decodes character
references after it has recognised markup, so they show as the character itself.

The rules, with the MediaWiki pass that would misread the text:
- preprocessor: "{{" templates and "{{{" parameters, "-{" language conversion,
  "<tag", "</tag", "<!--" (extension tags, raw HTML, comments); and "<" before whatever
  else mwparserfromhell may take for a tag name ("<0 …>", "<é …>"), for the tools that read
  pages with it: such a "tag" can swallow the lines after it, a heading included;
- pre-save transform: "~~~", "~~~~", "~~~~~" signatures;
- double underscores: "__NOTOC__" and every other behaviour switch;
- links: "[[", "[" before a URL or "//", a URL protocol in text (free links), and
  "RFC 1234", "ISBN …", "PMID …" magic links;
- quotes: a run of two or more apostrophes (italic, bold), and an apostrophe next to
  the generated '' or ''' markup;
- character references: "&amp;" in a note must stay visible as "&amp;";
- line start: "*", "#", ":", ";" (lists, indents), "=" (heading), "----" (rule),
  "{|" (table), leading space (preformatted);
- table cells: "|" (cell and attribute separators), "!!" in header cells;
- link labels: "[", "]", "|".
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from urllib.parse import quote

# MediaWiki's default $wgUrlProtocols that free links use (all but "//").
PROTOCOLS = (
    "bitcoin:", "ftp://", "ftps://", "geo:", "git://", "gopher://", "http://", "https://", "irc://", "ircs://",
    "magnet:", "mailto:", "matrix:", "mms://", "news:", "nntp://", "redis://", "sftp://", "sip:", "sips:",
    "sms:", "ssh://", "svn://", "tel:", "telnet://", "urn:", "worldwind://", "xmpp:")
# After a protocol, any character but a space may begin a URL: "]" or "<" do not, but their escapes do.
_URL_CHAR = "[^\\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"
_PROTOCOLS = "|".join(re.escape(p) for p in sorted(PROTOCOLS, key=len, reverse=True))
_FREE_LINK = "|".join(  # "https:" when "//" and a URL character follow: what MediaWiki links by itself
    f"{re.escape(p.split(':')[0])}:(?={re.escape(p.split(':', 1)[1])}{_URL_CHAR})"
    for p in sorted(PROTOCOLS, key=len, reverse=True))
_SPACES = "[\\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]"  # \s and \p{Zs}, as the magic-link regex

NOWIKI = "<nowiki/>"


@dataclass(frozen=True)
class Context:
    """Where text stands: each flag adds the escapes that place needs to those of running text."""

    label: bool = False  # inside [[target|…]] or [url …]: "[", "]" and "|" end or split the link
    cell: bool = False  # inside a table cell written with "|" or "!": "|" splits cells
    header: bool = False  # inside a header cell ("!"): "!!" splits cells too

    def in_label(self) -> Context:
        """Return this context inside a link label."""
        return replace(self, label=True)


RUNNING = Context()
LABEL = Context(label=True)
CELL = Context(cell=True)
HEADER_CELL = Context(cell=True, header=True)

# One alternation per context, so a piece of text is scanned once. Group names say which rule matched.
_COMMON = (
    r"(?P<brace>\{(?=\{)|(?<=-)\{)"
    r"|(?P<tilde>~~~)"
    r"|(?P<quote>'(?='))"
    r"|(?P<under>_(?=_[^\W_]))"
    r"|(?P<tag><(?=[^\s#&'*\-:;=>\[\]{|}]))"
    r"|(?P<entity>&(?=#?\w+;))"
    rf"|(?P<scheme>(?<![A-Za-z0-9_])(?i:{_FREE_LINK}))"
    rf"|(?P<magic>(?<![A-Za-z0-9_])(?:RFC|PMID|ISBN)(?={_SPACES}+[0-9]))"
    r"|(?P<newline>[\r\n])"
)
_BRACKET = rf"|(?P<bracket>\[(?=\[|//|(?i:{_PROTOCOLS})))"
@functools.cache
def _pattern(label: bool, cell: bool, header: bool) -> re.Pattern[str]:
    """Return what must be escaped in one context; compiled when first needed (each takes milliseconds)."""
    return re.compile(
        _COMMON
        + (r"|(?P<labelchar>[\[\]|])" if label else _BRACKET)
        + (r"|(?P<pipe>\|)" if cell and not label else "")
        + (r"|(?P<bang>!(?=!))" if header else ""))
_LINK_START = re.compile(rf"\[|//|(?i:{_PROTOCOLS})")  # what a "[" just before would turn into a link
# A protocol that ends a text: MediaWiki links nothing there, but mwparserfromhell links "svn://</code>".
_TRAILING_PROTOCOL = re.compile(rf"(?<![A-Za-z0-9_])(?i:{_PROTOCOLS})\Z")
_SPECIAL = re.compile(r"[{~'_<&:\[\]|!\r\n]|RFC|PMID|ISBN")  # fast path: text with none of these is safe
_LINE_START = {"*": "&#42;", "#": "&#35;", ":": "&#58;", ";": "&#59;", "=": "&#61;", " ": "&#32;"}


def _replace(match: re.Match[str]) -> str:
    kind = match.lastgroup
    found = match.group(0)
    if kind == "tilde":
        return "~~&#126;"
    if kind == "scheme":
        return found[:-1] + "&#58;"
    if kind == "magic":
        return found + NOWIKI
    if kind == "newline":
        return " "
    if kind == "tag":
        return "&lt;"
    if kind == "entity":
        return "&amp;"
    return f"&#{ord(found)};"


def escape(text: str, context: Context = RUNNING, *, start: bool = False, before: str = "", after: str = "") -> str:
    """Return `text` as wikitext that shows exactly `text` in `context`.

    `start`: the text begins a line. `before` and `after`: the wikitext generated
    right before and after it (markup such as '' or [[), whose edges may combine with it.
    """
    if not text:
        return text
    if _SPECIAL.search(text):
        out = _pattern(context.label, context.cell, context.header).sub(_replace, text)
    else:
        out = text
    if text[0] == "'" and before.endswith("'") and out.startswith("'"):
        out = "&#39;" + out[1:]
    elif before.endswith("]]") and text[0].isalpha():
        out = NOWIKI + out  # letters right after [[…]] would join the link's label (the link trail)
    if out.endswith(text[-1]) and (text[-1] == "'" and after.startswith("'") or
                                   text[-1] == "[" and _LINK_START.match(after)):
        out = out[:-1] + f"&#{ord(text[-1])};"
    trailing = _TRAILING_PROTOCOL.search(out) if after else None
    if trailing:
        colon = trailing.start() + trailing.group().index(":")
        out = out[:colon] + "&#58;" + out[colon + 1:]
    if start:
        out = line_start(out)
    return out


def line_start(wikitext: str) -> str:
    """Return escaped text that begins a line, with what would make it a list, heading, rule or table escaped."""
    if not wikitext:
        return wikitext
    first = wikitext[0]
    if first in _LINE_START:
        return _LINE_START[first] + wikitext[1:]
    if wikitext.startswith("----"):
        return "&#45;" + wikitext[1:]
    if wikitext.startswith("{|"):
        return "&#123;" + wikitext[1:]
    return wikitext


def text(value: str, *, start: bool = False) -> str:
    """Return running text (a paragraph, a list item, a heading) as wikitext."""
    return escape(value, RUNNING, start=start)


def heading(value: str) -> str:
    """Return the text of a heading, written between "== " and " ==", as wikitext."""
    return escape(value.strip(), RUNNING)


def link_label(value: str) -> str:
    """Return the label of a wikilink [[target|label]] as wikitext."""
    return escape(value, LABEL) or NOWIKI


def external_label(value: str) -> str:
    """Return the label of an external link [url label] as wikitext."""
    return escape(value, LABEL) or NOWIKI


def cell(value: str, header: bool = False) -> str:
    """Return the content of a table cell as wikitext."""
    return escape(value, HEADER_CELL if header else CELL)


_URL_BREAKS = {c: quote(c) for c in '[]<>"| \t\r\n\x7f'}
_URL_SPECIAL = re.compile(
    r"(?P<brace>\{(?=\{)|(?<=-)\{)|(?P<tilde>~~~)|(?P<quote>'(?='))|(?P<under>_(?=_[^\W_]))"
    r"|(?P<entity>&(?=#?\w+;))|(?P<break>[\[\]<>\"| \t\r\n\x7f])")


def url(value: str) -> str:
    """Return a URL for [url label]: MediaWiki decodes character references in it, and
    percent-encodes the characters that would end it, as it would itself."""
    return _URL_SPECIAL.sub(_url_replace, value)


def _url_replace(match: re.Match[str]) -> str:
    if match.lastgroup == "break":
        return _URL_BREAKS[match.group(0)]
    return _replace(match)


_TITLE_ILLEGAL = re.compile(r"[\[\]{}|<>\x00-\x1f\x7f]")
# MediaWiki decodes character references in a link's target, and refuses a title that still holds one.
_TITLE_REFERENCE = re.compile(r"&(?:[A-Za-z0-9\u0080-\U0010ffff]+|#[0-9]+|#x[0-9A-Fa-f]+);")
_TITLE_SPECIAL = re.compile(r"(?P<quote>'(?='))|(?P<under>_(?=_[^\W_]))")


def page_title(value: str) -> str | None:
    """Return a page title for [[title|…]], or None when no wikilink can name it."""
    if not value.strip() or _TITLE_ILLEGAL.search(value) or "~~~" in value or _TITLE_REFERENCE.search(value):
        return None
    return _TITLE_SPECIAL.sub(_replace, value)


_PRE = re.compile(r"(?P<tag><)|(?P<entity>&(?=#?\w+;))|(?P<tilde>~~~)")


def preformatted(value: str, one_line: bool = False) -> str:
    """Return the content of <pre>…</pre>: only "<" and character references need care.

    `one_line`: newlines become &#10;, for a <pre> inside a list item's line.
    """
    out = _PRE.sub(_replace, value)
    return out.replace("\n", "&#10;") if one_line else out


def attribute(value: str) -> str:
    """Return an HTML attribute value, for use between double quotes."""
    return escape(value, LABEL).replace('"', "&quot;")


def comment(value: str) -> str:
    """Return text that may stand inside <!-- … --> without ending it."""
    return value.replace("--", "- -").replace(">", "&gt;")
