"""Python-Markdown's link and code-span processors, with their scans made linear.

For every '[', '(' and '`' without a partner, Python-Markdown reads the rest of the paragraph,
character by character: a line of 4,000 brackets took seconds, one of 50,000 minutes. The
processors here give the same answers from tables of matching brackets and of backtick runs,
built once per paragraph. The tables are kept by distance from the end of the text, so they stay
true for the unchanged rest of a paragraph after Python-Markdown replaces a match before it with a
placeholder.

They override members Python-Markdown does not document: LinkInlineProcessor's `getText` and
`getLink`, and BacktickInlineProcessor's `find_code_spans` (3.11 and later; earlier releases match a
code span with one expression and never call it). At import, each is held against the stock
processor on probe texts (`PROBES`); where any answer differs or fails, the stock processors are
used (`LINEAR` is False) and a note says so once.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

import markdown
from markdown.inlinepatterns import BACKTICK_RE, LINK_RE, BacktickInlineProcessor, LinkInlineProcessor

from . import fall_back

_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")
_QUOTES = re.compile("[\"']")
_TICKS = re.compile("`+")
_NEAR = 300  # most links and code spans close within a line: look there first, without a table


class TailTables:
    """Facts about the text a processor reads, computed once and reused while its tail is unchanged."""

    def __init__(self) -> None:
        self.text = ""
        self.tables: dict[str, Any] = {}

    def shift(self, data: str, index: int) -> int:
        """Return how far right `data[index:]` stands in self.text, adopting `data` when it is new."""
        if data is not self.text and (len(data) - index > len(self.text) or not self.text.endswith(data[index:])):
            self.text, self.tables = data, {}
        return len(self.text) - len(data)

    def table(self, name: str, build: Callable[[str], Any]) -> Any:
        if name not in self.tables:
            self.tables[name] = build(self.text)
        return self.tables[name]


def _pairs(pattern: re.Pattern[str]) -> Callable[[str], dict[int, int]]:
    def build(text: str) -> dict[int, int]:
        """Return, for each opening bracket in `text`, the index of the bracket that closes it."""
        stack: list[int] = []
        pairs: dict[int, int] = {}
        for m in pattern.finditer(text):
            if m.group() in "[(":
                stack.append(m.start())
            elif stack:
                pairs[stack.pop()] = m.start()
        return pairs
    return build


def _positions(text: str) -> list[int]:
    return [m.start() for m in _QUOTES.finditer(text)]


def tables(md: markdown.Markdown) -> TailTables:
    """Return the tables shared by the processors of `md`."""
    found = getattr(md, "clinics_tail", None)
    if found is None:
        found = md.clinics_tail = TailTables()  # type: ignore[attr-defined]
    return found


class LinearLinks(LinkInlineProcessor):
    """[text](target) and the reference forms, with getText and getLink in linear time."""

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        if index < 1 or data[index - 1] != "[":
            return super().getText(data, index)
        near = data.find("]", index, index + _NEAR)
        if near >= 0 and "[" not in data[index:near]:
            return data[index:near], near + 1, True
        tail = tables(self.md)
        shift = tail.shift(data, index - 1)
        close = tail.table("brackets", _pairs(_BRACKETS)).get(index - 1 + shift)
        if close is None:
            return data[index:], len(data), False
        return data[index:close - shift], close - shift + 1, True

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        match = self.RE_LINK.match(data, pos=index)
        if match is None or match[1]:
            return super().getLink(data, index)  # not a '(', or the <target> form: no scan
        close = self._close(data, index)
        if close is None:
            return "", None, index, False
        if close < 0:
            return super().getLink(data, index)  # a title in quotes: rare, and short
        return self.unescape(data[match.end():close]).strip(), None, close + 1, True

    def _close(self, data: str, index: int) -> int | None:
        """Return the ')' closing the '(' at `index`, None if there is none, -1 if a quote comes first."""
        near = data.find(")", index, index + _NEAR)
        if near >= 0 and not any(c in data[index + 1:near] for c in "()'\""):
            return near
        tail = tables(self.md)
        shift = tail.shift(data, index)
        close = tail.table("parens", _pairs(_PARENS)).get(index + shift)
        quotes = tail.table("quotes", _positions)
        after = bisect.bisect_left(quotes, index + shift)
        if after < len(quotes) and (close is None or quotes[after] < close):
            return -1
        return None if close is None else close - shift


class _Runs:
    """The runs of backticks in a text: by length, and the longest from each run on."""

    def __init__(self, text: str) -> None:
        runs = [(m.start(), m.end() - m.start()) for m in _TICKS.finditer(text)]
        self.starts = [start for start, _ in runs]
        self.by_length: dict[int, list[int]] = {}
        for start, length in runs:
            self.by_length.setdefault(length, []).append(start)
        self.longest: list[tuple[int, int]] = [(0, 0)] * (len(runs) + 1)  # (length, end) of the first longest
        for k in range(len(runs) - 1, -1, -1):
            start, length = runs[k]
            best = self.longest[k + 1]
            self.longest[k] = (length, start + length) if length >= best[0] else best


class LinearBackticks(BacktickInlineProcessor):
    """`code`, with find_code_spans in linear time."""

    def __init__(self, pattern: str, md: markdown.Markdown) -> None:
        super().__init__(pattern)
        self.md = md

    def find_code_spans(self, start: int, text: str) -> tuple[int, int | None]:
        run = _TICKS.match(text, start)
        ticks = len(run.group()) if run else 0
        after = start + ticks
        exact = re.compile(rf"(?<!`)`{{{ticks}}}(?!`)")
        near = exact.search(text, after, after + _NEAR)
        if near and (near.end() < after + _NEAR or near.end() == len(text)):
            return after, near.start()
        tail = tables(self.md)
        shift = tail.shift(text, after)
        runs: _Runs = tail.table("ticks", _Runs)
        same = runs.by_length.get(ticks, [])
        found = bisect.bisect_left(same, after + shift)
        if found < len(same):
            return after, same[found] - shift
        longest, end = runs.longest[bisect.bisect_left(runs.starts, after + shift)]
        if 0 < longest < ticks:
            return after - (ticks - longest), end - shift - longest
        return after + ticks, None


# Texts on which the linear processors must answer as the stock ones do: closed, unclosed and
# nested brackets, parentheses and backtick runs, titles, and the far case past _NEAR.
PROBES = (
    "[a](https://a.org) b", "[a [b] c](x) d", "[unclosed", "[a]]] (b", "[a](x 'title') y", "[a](<x y>)",
    "[a](b(c)d) e", "[a](unclosed", "[a]((b)", "[a][ref]", "[" * 5 + "a" + "]" * 3, "[a](x \"t\"",
    "`a` b", "``a`b`` c", "```a`` d", "`unclosed", "``a` b`", "a ``` b ` c `` d", "`" * 7 + "x" + "`" * 3,
    "[" + "x" * 400 + "](y)", "`" + "x" * 400 + "`", "(" * 3 + "[a](" + "b" * 400 + ")",
)


def _holds() -> bool:
    """Return whether Markdown with the linear processors converts every probe as stock Markdown does."""
    stock, linear = markdown.Markdown(), markdown.Markdown()
    linear.inlinePatterns.register(LinearBackticks(BACKTICK_RE, linear), "backtick", 190)
    linear.inlinePatterns.register(LinearLinks(LINK_RE, linear), "link", 160)
    try:
        return all(stock.reset().convert(text) == linear.reset().convert(text) for text in PROBES)
    except Exception:  # an internal of another shape: not what the linear processors expect
        return False


class _Stock:
    """Adds nothing: the processors as Python-Markdown has them."""


LINEAR = _holds()
if not LINEAR:
    fall_back("Python-Markdown", markdown.__version__,
              "its link and code-span processors' undocumented methods do not answer as expected")
# The mixin for link processors (link, image, reference), and the code-span processor's class.
LinkScans: type = LinearLinks if LINEAR else _Stock


def backtick_processor(md: markdown.Markdown) -> BacktickInlineProcessor:
    """Return the processor of `code` spans for `md`."""
    return LinearBackticks(BACKTICK_RE, md) if LINEAR else BacktickInlineProcessor(BACKTICK_RE)
