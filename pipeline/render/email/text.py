"""Letter -> the plain-text email body, written from the element tree (never from the HTML).

What a list reader sees (mutt, Mailman archives, digest mode): text filled to 72 columns,
headings underlined ("=" for the title, "-" for topics, "~" for subsections, "." below),
bullets with hanging indents ("*", then "-" one level down), *emphasis* in asterisks (for
both <em> and <strong>: mail readers show *x* in bold), inline code in `backticks`, links as
numbered markers "[3]" with a "Links" list of the URLs before the signature.

No line is wider than 78 columns (RFC 5322's advice, and what an 80-column terminal shows
whole), but for a line of a code block, kept exactly as written, and a URL longer than that:
a URL is never broken, and one that does not fit where it stands gets a line of its own from
column 0, so that a terminal that wraps it wraps nothing else and a reader can copy it whole.
No line is exactly 30 hyphens: Mailman's plain digests (RFC 1153) separate messages with one.
"""
from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as etree
from collections.abc import Callable, Iterable, Sequence

from pipeline.model.followups import CHECK_ATTR
from pipeline.render.document import BLANK_RUN, Check, Foreign, Link, Paragraph
from pipeline.render.email.letter import Letter


WIDTH = 72
LIMIT = 78  # the widest line, but for a long URL or a line of code
DIGEST_SEPARATOR = "-" * 30  # RFC 1153: a line of exactly this ends a message in a plain digest
# Marks, in a line `wrap` made, a word too wide for the line; render_text moves it to a line of its own
# when it is a URL and the line is wider than LIMIT. Words never hold controls (Words.text removes them).
_TOO_WIDE = "\0"
SIGNATURE_DELIMITER = "-- "  # the standard one: readers dim what follows and leave it out of replies
_UNDERLINES = {1: "=", 2: "-", 3: "~"}
_BULLETS = ("*", "-")
# Words break at ASCII whitespace only: a no-break space (U+00A0, U+202F) glues, and other Unicode
# spaces are kept as written, as the HTML email and the wiki keep them.
_CONTROL = dict.fromkeys(c for c in range(0x20) if c not in (9, 10, 13)) | {0x7F: None}
_BLOCK_TAGS = frozenset({"p", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table",
                         "hr", "div"})


class _Break:
    """A hard line break (<br>) among the words of a paragraph."""


BREAK = _Break()
Word = str | _Break


def width(text: str) -> int:
    """Return how many columns `text` takes in a terminal (wide characters count two)."""
    if text.isascii():
        return len(text)
    total = 0
    for char in text:
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            continue
        total += 2 if unicodedata.east_asian_width(char) in "WF" else 1
    return total


class Links:
    """The numbered list of link targets, in order of first mention; one number per URL."""

    def __init__(self) -> None:
        self.numbers: dict[str, int] = {}

    def number(self, url: str) -> int:
        return self.numbers.setdefault(url, len(self.numbers) + 1)

    def lines(self) -> list[str]:
        """Return "[n] URL" lines, the URLs aligned; a URL too long for that on a line of its own after "[n]"."""
        size = len(f"[{len(self.numbers)}]")
        lines = []
        for url, n in self.numbers.items():
            line = f"[{n}]".ljust(size) + " " + url
            lines += [line] if width(line) <= LIMIT else [f"[{n}]", url]
        return lines


class Words:
    """Running text as unbreakable words: whitespace separates them, other text extends the last one."""

    def __init__(self) -> None:
        self.words: list[Word] = []
        self.joinable = False  # may the next text extend the last word (no whitespace in between)?

    def text(self, text: str) -> None:
        if text.isprintable():  # no controls, so no whitespace but spaces (empty parts are skipped)
            parts = text.split(" ")
        else:
            parts = BLANK_RUN.split(text.translate(_CONTROL))
        for n, part in enumerate(parts):
            if n:
                self.joinable = False
            if not part:
                continue
            if self.joinable:
                self.words[-1] = str(self.words[-1]) + part
            else:
                self.words.append(part)
            self.joinable = True

    def glue(self, text: str) -> None:
        """Attach `text` to the last word with a space no line may break at (for "[3]" markers).

        Whitespace written before the marker (at the end of a link's label) still separates
        the marker from the text after it: "[x ](…)y" is "x [3] y", as the HTML shows "x y".
        """
        if self.words and isinstance(self.words[-1], str):
            self.words[-1] = f"{self.words[-1]} {text}"
        else:
            self.words.append(text)
            self.joinable = True

    def hard_break(self) -> None:
        self.words.append(BREAK)
        self.joinable = False


def wrap(words: Sequence[Word], columns: int) -> list[str]:
    """Return `words` filled into lines of at most `columns`; a word wider than that stands alone."""
    try:
        whole = " ".join(words)  # type: ignore[arg-type]
    except TypeError:  # a hard break among them
        pass
    else:
        if len(whole) <= columns and whole.isascii():  # one line, as most items are
            return [whole] if whole else []
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for word in words:
        if isinstance(word, _Break):
            lines.append(" ".join(line))
            line, used = [], 0
            continue
        size = len(word) if word.isascii() else width(word)  # most words are ASCII: no call
        if line and used + 1 + size > columns:
            lines.append(" ".join(line))
            line, used = [], 0
        used += size + (1 if line else 0)
        line.append(_TOO_WIDE + word if size > columns and _is_url(word) else word)
    if line:
        lines.append(" ".join(line))
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _is_url(word: str) -> bool:
    return "://" in word or "mailto:" in word


def _for_terminals(lines: Iterable[str]) -> list[str]:
    """Return `lines` as a terminal and a plain digest show them whole (see the module's docstring).

    A line holding a too-wide URL (marked by `wrap`) keeps it where it is when the line fits in
    LIMIT; otherwise what precedes the URL stays on its line and the URL starts the next one.
    """
    done = []
    for line in lines:
        if _TOO_WIDE in line:
            before, word = line.split(_TOO_WIDE, 1)
            if width(before + word) <= LIMIT:
                line = before + word
            else:
                if before.strip():
                    done.append(before.rstrip(" "))
                line = word
        done.append(line + "-" if line == DIGEST_SEPARATOR else line)
    return done


# Inline elements: each adds its words to `out`.

InlineRenderer = Callable[[etree.Element, Words, Links, int], None]


def inline_children(el: etree.Element, out: Words, links: Links, emphasis: int = 0) -> None:
    """Add the text of `el` and of its inline children (not its tail) to `out`."""
    if el.text:
        out.text(el.text)
    for child in el:
        _INLINE.get(child.tag, _inline_other)(child, out, links, emphasis)
        if child.tail:
            out.text(child.tail)


def _emphasis(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    mark = "" if emphasis else "*"
    out.text(mark)
    inline_children(el, out, links, emphasis + 1)
    _close(out, mark)


def _close(out: Words, mark: str) -> None:
    """Attach a closing mark to the last word, whatever whitespace came before it.

    That whitespace still separates the mark from the text after it, as in the HTML.
    """
    if not mark:
        return
    if out.words and isinstance(out.words[-1], str):
        out.words[-1] = str(out.words[-1]) + mark
    else:
        out.words.append(mark)
        out.joinable = True


def _code(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    out.text("`" + (el.text or "") + "`")


def _link(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    href = el.get("href", "")
    inline_children(el, out, links, emphasis)
    if not shows_its_address(el, href):
        out.glue(f"[{links.number(href)}]")


def shows_its_address(el: etree.Element, href: str) -> bool:
    """Return True when the link's visible text is its address: it needs no marker."""
    label = BLANK_RUN.sub(" ", "".join(el.itertext())).strip(" ")
    return label == href or (href.startswith("mailto:") and label == href.removeprefix("mailto:"))


def _line_break(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    out.hard_break()


def _span(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    if el.get(CHECK_ATTR):  # a follow-up's box
        box(out, el.get(CHECK_ATTR) == "done")
    else:
        inline_children(el, out, links, emphasis)


def box(out: Words, done: bool) -> None:
    """Add a follow-up's box as a task list writes it, "[x]" when answered, else "[ ]": one word, never broken."""
    out.words.append("[x]" if done else "[ ]")
    out.joinable = False


def _inline_other(el: etree.Element, out: Words, links: Links, emphasis: int) -> None:
    # Validation lets no other element through; keep its words rather than lose them.
    inline_children(el, out, links, emphasis)


_INLINE: dict[str, InlineRenderer] = {
    "em": _emphasis, "strong": _emphasis, "code": _code, "a": _link, "br": _line_break, "span": _span,
}


def pieces_words(pieces: Paragraph, links: Links) -> Words:
    """Return the words of generated text: strings, and links followed by their markers."""
    out = Words()
    for piece in pieces:
        if isinstance(piece, Link):
            out.text(piece.label)
            if piece.label != piece.url:
                out.glue(f"[{links.number(piece.url)}]")
        elif isinstance(piece, Check):
            box(out, piece.done)
        elif isinstance(piece, Foreign):
            out.text(piece.text)
        else:
            out.text(piece)
    return out


# Block elements: each returns its lines, at most `columns` wide.

BlockRenderer = Callable[[etree.Element, int, Links, int], list[str]]


def blocks(elements: Iterable[etree.Element], columns: int, links: Links, depth: int = 0) -> list[str]:
    """Return the lines of block `elements`, separated by blank lines."""
    return _join([_block(el, columns, links, depth) for el in elements])


def _block(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    return _BLOCK.get(el.tag, _paragraph)(el, columns, links, depth)


def _join(chunks: Iterable[list[str]], gap: int = 1) -> list[str]:
    lines: list[str] = []
    for chunk in chunks:
        if not chunk:
            continue
        if lines:
            lines.extend([""] * gap)
        lines.extend(chunk)
    return lines


def _paragraph(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    out = Words()
    inline_children(el, out, links)
    return wrap(out.words, columns)


def heading(text_words: Words, level: int, columns: int) -> list[str]:
    """Return a heading's lines, underlined as wide as its widest line."""
    lines = wrap(text_words.words, columns)
    rule = _UNDERLINES.get(level, ".")
    return [*lines, rule * max((width(line.replace(_TOO_WIDE, "")) for line in lines), default=0)]


def _heading(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    out = Words()
    inline_children(el, out, links)
    return heading(out, int(el.tag[1]), columns)


def _list(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    items = [child for child in el if child.tag == "li"]
    if el.tag == "ol":
        start = int(el.get("start", "1")) if el.get("start", "1").isdigit() else 1
        markers = [f"{n}." for n in range(start, start + len(items))]
    else:
        markers = [_BULLETS[depth % len(_BULLETS)]] * len(items)
    indent = max((len(m) for m in markers), default=1) + 1
    loose = any(child.tag == "p" for item in items for child in item)
    chunks = []
    for marker, item in zip(markers, items):
        body = _flow(item, columns - indent, links, depth + 1, loose)
        chunks.append([marker.ljust(indent) + line if n == 0 else (" " * indent + line if line else "")
                       for n, line in enumerate(body or [""])])
    return _join(chunks, 1 if loose else 0)


def _flow(el: etree.Element, columns: int, links: Links, depth: int, loose: bool = True) -> list[str]:
    """Return the lines of a container that mixes running text and blocks (a list item, a quote)."""
    chunks: list[list[str]] = []
    out = Words()
    if el.text:
        out.text(el.text)
    for child in el:
        if child.tag in _BLOCK_TAGS:
            chunks.append(wrap(out.words, columns))
            out = Words()
            chunks.append(_block(child, columns, links, depth))
        else:
            _INLINE.get(child.tag, _inline_other)(child, out, links, 0)
        if child.tail:
            out.text(child.tail)
    chunks.append(wrap(out.words, columns))
    return _join(chunks, 1 if loose else 0)


def _quote(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    return [f"> {line}" if line else ">" for line in _flow(el, columns - 2, links, depth)]


def _preformatted(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    code = "".join(el.itertext()).expandtabs(4).rstrip("\n")
    return ["    " + line if line.strip() else "" for line in code.split("\n")]


def _rule(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    return ["* * *"]


def _table(el: etree.Element, columns: int, links: Links, depth: int) -> list[str]:
    rows = [[cell for cell in tr if cell.tag in ("th", "td")] for tr in el.iter("tr")]
    words = [[_cell_words(cell, links) for cell in row] for row in rows]
    texts = [[" ".join(w for w in cell.words if isinstance(w, str)) for cell in row] for row in words]
    head = sum(1 for tr in el.iter("tr") if any(cell.tag == "th" for cell in tr))
    grid = _grid(texts, [[cell.get("style", "") for cell in row] for row in rows], head, columns)
    if grid is not None:
        return grid
    # Too wide for aligned columns: one row per item, cells in order, separated by " | ".
    lines = []
    for n, row in enumerate(words):
        out = Words()
        for i, cell in enumerate(row):
            if i:
                out.text(" |")
            out.words.extend(word for word in cell.words if isinstance(word, str))
            out.joinable = False
        row_lines = wrap(out.words, columns - 2)
        lines += [line if i == 0 else "  " + line for i, line in enumerate(row_lines)]
        if n + 1 == head:
            lines.append("-" * min(columns, max(width(line.replace(_TOO_WIDE, "")) for line in lines)))
    return lines


def _cell_words(cell: etree.Element, links: Links) -> Words:
    out = Words()
    inline_children(cell, out, links)
    return out


def _grid(texts: list[list[str]], styles: list[list[str]], head: int, columns: int) -> list[str] | None:
    """Return the table as aligned columns, or None when it does not fit in `columns`."""
    count = max((len(row) for row in texts), default=0)
    sizes = [max((width(row[i]) for row in texts if i < len(row)), default=0) for i in range(count)]
    if sum(sizes) + 2 * (count - 1) > columns:
        return None
    lines = []
    for n, row in enumerate(texts):
        cells = []
        for i, size in enumerate(sizes):
            text = row[i] if i < len(row) else ""
            pad = " " * (size - width(text))
            align = styles[n][i] if i < len(styles[n]) else ""
            cells.append(pad + text if "right" in align else text + pad)
        lines.append("  ".join(cells).rstrip(" "))
        if n + 1 == head:
            lines.append("  ".join("-" * size for size in sizes))
    return lines


_BLOCK: dict[str, BlockRenderer] = {
    "p": _paragraph, "ul": _list, "ol": _list, "blockquote": _quote, "pre": _preformatted, "hr": _rule,
    "table": _table, "div": lambda el, c, links, d: _flow(el, c, links, d),
    **{f"h{level}": _heading for level in range(1, 7)},
}


def render_text(letter: Letter) -> str:
    """Return the plain-text body of `letter`, ending with a newline."""
    links = Links()
    top = [heading(pieces_words((letter.title,), links), 1, WIDTH), _words_lines((letter.dateline,), links),
           _words_lines((letter.greeting,), links)]
    top += [_words_lines(paragraph, links) for paragraph in letter.opening]
    sections = [_join([heading(pieces_words((section.heading,), links), 2, WIDTH),
                       blocks(section.topic.elements, WIDTH, links)]) for section in letter.sections]
    for part in letter.appendix:
        items = [_bullet(_words_lines(item, links, WIDTH - 2)) for item in part.items]
        sections.append(_join([heading(pieces_words((part.heading,), links), 2, WIDTH), _join(items, 0)]))
    signature = _words_lines((letter.signature,), links)
    footer = _join([_words_lines(paragraph, links) for paragraph in letter.footer], 0)
    listed = [_join([heading(pieces_words((letter.links_heading,), links), 2, WIDTH), links.lines()])]
    body = _join([_join(top), *sections, *(listed if links.numbers else [])], 2)
    lines = _for_terminals(_join([body, signature, [SIGNATURE_DELIMITER, *footer]]))
    return "\n".join(line if line == SIGNATURE_DELIMITER else line.rstrip(" ") for line in lines) + "\n"


def _words_lines(pieces: Paragraph, links: Links, columns: int = WIDTH) -> list[str]:
    return wrap(pieces_words(pieces, links).words, columns)


def _bullet(lines: list[str]) -> list[str]:
    return [(_BULLETS[0] + " " if n == 0 else "  ") + line for n, line in enumerate(lines)]
