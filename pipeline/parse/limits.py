"""Keep Python-Markdown shallow on any input: the limits a digest's Markdown must keep.

Python-Markdown recurses once per level of nesting, and rebuilds a paragraph's text for each
match, so nesting and paragraph length are limited before it reads them. (Its link and
code-span scans, quadratic on unmatched brackets, are made linear in adapters/markdown.py.)
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as etree

import markdown
from markdown.blockprocessors import HRProcessor

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
