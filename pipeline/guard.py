"""Keep Python-Markdown fast and shallow on any input: the limits a digest's Markdown must keep,
and Python-Markdown's link and code-span processors with their scans made linear.

Python-Markdown recurses once per level of nesting, and rebuilds a paragraph's text for each
match, so nesting and paragraph length are limited before it reads them. And for every '[',
'(' and '`' without a partner it reads the rest of the paragraph, character by character: a
line of 4,000 brackets took seconds, one of 50,000 minutes. The processors here give the same
answers from tables of matching brackets and of backtick runs, built once per paragraph. The
tables are kept by distance from the end of the text, so they stay true for the unchanged rest
of a paragraph after Python-Markdown replaces a match before it with a placeholder.
"""
from __future__ import annotations

import bisect
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from typing import Any

import markdown
from markdown.blockprocessors import HRProcessor
from markdown.inlinepatterns import BacktickInlineProcessor, LinkInlineProcessor

MAX_NESTING = 8  # lists and quotes inside each other; a text email indents each level
MAX_DEPTH = 40  # elements inside each other, inline ones included: every renderer walks them recursively
# Python-Markdown's time grows with the square of a paragraph's length; 10,000 characters is some 1,500 words.
MAX_PARAGRAPH = 10_000

Problem = tuple[str, str, int, str]  # code, message, offset in the text, hint

_BRACKETS = re.compile(r"[\[\]]")
_PARENS = re.compile(r"[()]")
_QUOTES = re.compile("[\"']")
_TICKS = re.compile("`+")
_NEAR = 300  # most links and code spans close within a line: look there first, without a table
_QUOTE_OR_MARKER = re.compile(r" {0,3}(?:>|(?:[*+-]|[0-9]{1,9}[.)])(?: +|\Z))")


def limit_nesting(lines: list[str], problems: list[Problem]) -> list[str]:
    """Return `lines` with lists and quotes cut at MAX_NESTING + 1 levels, recording an error for each deep run.

    Python-Markdown recurses once per level (a few hundred exhaust the stack), and a
    text email indents every level: the line is refused, and cut so that parsing stays cheap.
    """
    result = []
    offset = 0
    reported = False
    for line in lines:
        expanded = line.expandtabs(4) if "\t" in line else line
        blank = not line.strip() or HRProcessor.SEARCH_RE.match(expanded)  # "* * * * *" is a rule, not lists
        depth, excess, cut, end = (0, -1, -1, 0) if blank else _nesting(expanded)
        if depth > MAX_NESTING:
            if not reported:
                problems.append((
                    "too-deep", f"lists and quotes are nested {depth} levels deep here; at most "
                    f"{MAX_NESTING} are allowed", offset + min(excess, len(line)),
                    "keep notes to a few levels of '*' items and '>' quotes: move the detail up a level"))
                reported = True
        elif line.strip():
            reported = False
        result.append(expanded[:cut] + expanded[end:] if depth > MAX_NESTING and cut >= 0 else line)
        offset += len(line) + 1
    return result


def _nesting(line: str) -> tuple[int, int, int, int]:
    """Return the levels of lists and quotes `line` stands in, where the first level too many
    starts, where to cut the line to keep one level too many, and where its prefix ends.

    An estimate from the line's prefix, as Python-Markdown reads it: each '>', each list
    marker, and each four spaces of indentation before one of them opens a level. Indentation
    alone (a code block, a continued paragraph) counts only up to the last marker or quote.
    """
    depth = pos = marked = marked_end = 0
    excess = cut = -1
    while pos < len(line):
        indent = line.startswith("    ", pos)
        if indent:
            step = pos + 4
        else:
            match = _QUOTE_OR_MARKER.match(line, pos)
            if not match:
                break
            step = match.end()
            if line[step - 1] == ">" and line.startswith(" ", step):
                step += 1
            marked, marked_end = depth + 1, step
        depth += 1
        if depth == MAX_NESTING + 1:
            excess = pos if indent else pos + len(line[pos:step]) - len(line[pos:step].lstrip())
        elif depth == MAX_NESTING + 2:
            cut = pos
        pos = step
    return marked, excess, cut if marked > MAX_NESTING + 1 else -1, marked_end


def limit_paragraphs(root: etree.Element, text: str, problems: list[Problem]) -> None:
    """Record an error for each text longer than MAX_PARAGRAPH, and keep Python-Markdown from reading it.

    To be run between Python-Markdown's block parser and its inline processors.
    """
    for el in root.iter():
        if el.text and len(el.text) > MAX_PARAGRAPH:
            first_line = el.text.strip().split("\n")[0][:40]
            problems.append((
                "long-paragraph", f"this paragraph is {len(el.text):,} characters long; at most "
                f"{MAX_PARAGRAPH:,} are allowed", max(text.find(first_line), 0),
                "split it into paragraphs with blank lines between them, and shorten it: a digest is a summary"))
            el.text = markdown.util.AtomicString(el.text)


def depth(block: etree.Element) -> int:
    """Return how many elements deep `block` goes, itself included, without recursion."""
    deepest = 0
    stack = [(block, 1)]
    while stack:
        el, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in el)
    return deepest


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
