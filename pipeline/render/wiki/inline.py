"""Inline wikitext: text and generated markup as tokens, joined so that each text is escaped in place.

The writer (page.py) gathers a paragraph, a list item or a cell as a list of tokens:
text with its escaping context, markup it generated ('' or [[…|), and bare URLs. `join`
escapes each text knowing the markup beside it, and writes a bare URL as a free link only
where MediaWiki would link exactly that URL by itself.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.render.document import BLANK, collapsed
from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.escape import Context

_WORD = re.compile(r"\w")
_FREE_URL = re.compile(r"(?:https?|ftp)://[A-Za-z0-9\-._~/?#@!$&()*+,;=%:]*[A-Za-z0-9/_=#\-]\Z")


@dataclass(slots=True)
class Text:
    """Text as the reader must see it, and where it stands (running text, a label, a cell)."""

    text: str
    context: Context


@dataclass(slots=True)
class Markup:
    """Wikitext the writer generated: '' or [[Page| or <br />; never escaped."""

    wikitext: str


@dataclass(slots=True)
class BareUrl:
    """A link whose label is its own address: a free link where MediaWiki would find it whole."""

    url: str


Token = Text | Markup | BareUrl


def join(tokens: Sequence[Token], start: bool = False) -> str:
    """Return inline tokens as wikitext on one line, each text escaped next to its neighbours.

    `start`: the tokens begin a line of their own (a paragraph), not a list item or a cell.
    """
    if len(tokens) == 1 and type(tokens[0]) is Text:  # most items and paragraphs: one run of text
        text = collapsed(tokens[0].text).strip(" ")
        return wikiescape.escape(text, tokens[0].context, start=start)
    merged = _merge(tokens)
    resolved: list[Text | Markup] = []
    for n, token in enumerate(merged):
        if isinstance(token, BareUrl):
            token = Markup(_bare_url(token.url, merged[n - 1] if n else None,
                                      merged[n + 1] if n + 1 < len(merged) else None))
        resolved.append(token)
    out: list[str] = []
    for n, token in enumerate(resolved):
        if isinstance(token, Markup):
            run = _quote_run(out, token.wikitext)
            if run == 4 or run > 5:
                out.append(wikiescape.NOWIKI)  # ''a''''b'': four apostrophes would read as "'" and bold
            out.append(token.wikitext)
            continue
        after = resolved[n + 1] if n + 1 < len(resolved) else None
        out.append(wikiescape.escape(
            token.text, token.context, start=start and n == 0,
            before=out[-1] if out else "", after=after.wikitext if isinstance(after, Markup) else ""))
    return "".join(out)


def _quote_run(out: list[str], markup: str) -> int:
    """Return how many apostrophes in a row `markup` would make, written after `out`.

    MediaWiki reads a run of 2, 3 or 5 as the italic and bold marks the writer meant (5: one
    of each, opening or closing); a run of 4 or more than 5 is read as text plus marks. Only
    generated markup ends or starts a run: escaping turns a text's edge apostrophe into &#39;.
    """
    lead = len(markup) - len(markup.lstrip("'"))
    if not lead:
        return 0
    tail = "".join(out[-4:])
    return lead + len(tail) - len(tail.rstrip("'"))


def _merge(tokens: Sequence[Token]) -> list[Token]:
    """Return `tokens` with adjacent texts joined, whitespace collapsed, and the line's ends trimmed."""
    merged: list[Token] = []
    run: list[str] = []  # adjacent texts of one context, not yet joined
    for n, token in enumerate(tokens):
        if isinstance(token, Text):
            run.append(token.text)
            following = tokens[n + 1] if n + 1 < len(tokens) else None
            if isinstance(following, Text) and following.context == token.context:
                continue
            text = collapsed(run[0] if len(run) == 1 else "".join(run))
            run = []
            last = merged[-1] if merged else None
            if isinstance(last, Text) and last.text.endswith(" ") and text.startswith(" "):
                text = text[1:]  # two contexts side by side (a label's text, then running text)
            if text:
                merged.append(Text(text, token.context))
        else:
            merged.append(token)
    if merged and isinstance(merged[0], Text):
        merged[0] = Text(merged[0].text.lstrip(" "), merged[0].context)
    if merged and isinstance(merged[-1], Text):
        merged[-1] = Text(merged[-1].text.rstrip(" "), merged[-1].context)
    return [t for t in merged if not (isinstance(t, Text) and not t.text)]


def _bare_url(url: str, before: Token | None, after: Token | None) -> str:
    """Return `url` as a free link when MediaWiki would link exactly it, else as [url url]."""
    escaped = wikiescape.url(url)
    if escaped == url and _FREE_URL.match(url) and _free_boundary(url, before, after):
        return url
    return f"[{escaped} {wikiescape.external_label(url)}]"


def _free_boundary(url: str, before: Token | None, after: Token | None) -> bool:
    if isinstance(before, Text) and _WORD.match(before.text[-1:]):
        return False  # MediaWiki links a free URL only after a word boundary
    if isinstance(before, BareUrl) or isinstance(after, BareUrl):
        return False
    if not isinstance(after, Text):
        return True
    # MediaWiki drops trailing punctuation (and ")" without "(") from a free link: allow it before a space.
    trailing = ",;.:!?" if "(" in url else ",;.:!?)"
    rest = after.text.lstrip(trailing)
    return not rest or rest[0] in " <>\"]"


def local_link(title: str, label: str, context: Context = wikiescape.RUNNING) -> str:
    """Return a link to page `title` of the archive's own wiki, labelled `label`, as wikitext."""
    target = wikilink_target(title, local=True)
    if target is None:  # a title no wikilink can name (site.yaml's page_prefix): the label alone
        return wikiescape.escape(label, context)
    return join(wikilink(target, [Text(label, context.in_label())]))


def wikilink_target(title: str, local: bool) -> str | None:
    """Return `title` as the target of [[…]], or None when no wikilink can name it."""
    escaped = wikiescape.page_title(title)
    if escaped is None:
        return None
    if local and (":" in title or title.startswith(("/", "."))):
        return ":" + escaped  # a namespace-like local title: link to it, never categorise or embed
    return escaped


def wikilink(target: str, label: list[Token]) -> list[Token]:
    """Return [[target|label]] as tokens, or [[target]] when the label is the title as written."""
    if len(label) == 1 and isinstance(label[0], Text) and \
            wikiescape.escape(label[0].text, label[0].context) == target.removeprefix(":"):
        return [Markup(f"[[{target}]]")]  # the label is the title: [[Trust and Safety]]
    return [Markup(f"[[{target}|"), *label_or_nowiki(label), Markup("]]")]


def external(href: str, label: list[Token]) -> list[Token]:
    """Return [url label] as tokens."""
    return [Markup(f"[{wikiescape.url(href)} "), *label_or_nowiki(label), Markup("]")]


def label_or_nowiki(label: list[Token]) -> list[Token]:
    """Return a label that MediaWiki shows as it is: not replaced, and not shortened.

    An empty label would be replaced ("[[a|]]" is the pipe trick, "[url]" a number), so it
    becomes <nowiki/>. MediaWiki drops the spaces between an external link's address and its
    label, so a label that starts with a space (or is one) starts with a character reference.
    """
    if all(isinstance(t, Text) and not t.text for t in label):
        return [Markup(wikiescape.NOWIKI)]
    first = label[0]
    if isinstance(first, Text) and first.text[:1].isspace():
        char = first.text[0]
        reference = "&#32;" if char in BLANK else f"&#{ord(char)};"
        return [Markup(reference), Text(first.text[1:], first.context), *label[1:]]
    return label


def has_text(tokens: Sequence[Token]) -> bool:
    """Return True when `tokens` hold markup or text that is not only spaces."""
    return any(not isinstance(t, Text) or t.text.strip() for t in tokens)
