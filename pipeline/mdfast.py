"""Python-Markdown's block and inline passes, without the work that cannot change their result.

Python-Markdown tries every inline pattern on every piece of text: a dozen regular-expression
searches, each behind a few Python calls, even for a sentence with no '[', '*' or '`' in it.
That loop was a third of the time a digest took to parse. Each pattern below needs a
character (or a few) that its expression cannot match without; when the text holds none of
them, the pattern is skipped exactly as Python-Markdown goes on after a search that found
nothing. Patterns the table does not know are always tried, so the result is the same tree.

Likewise each block processor tests every block: the tables extension splits it into rows and
cells, the heading, rule, quote and reference processors search it with an expression. A block
without a "|" is no table, one without a "#" no heading, and so on: those answer at once.
"""
from __future__ import annotations

import xml.etree.ElementTree as etree
from collections.abc import Callable

from markdown import blockprocessors, inlinepatterns, treeprocessors, util
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions.tables import TableProcessor

# Regular expression as written -> strings one of which the text must hold for it to match.
_NEEDS: dict[str, tuple[str, ...]] = {
    inlinepatterns.BACKTICK_RE: ("`",),
    inlinepatterns.ESCAPE_RE: ("\\",),
    inlinepatterns.LINK_RE: ("[",),  # also REFERENCE_RE
    inlinepatterns.IMAGE_LINK_RE: ("![",),  # also IMAGE_REFERENCE_RE
    inlinepatterns.AUTOLINK_RE: ("<",),
    inlinepatterns.AUTOMAIL_RE: ("<",),
    inlinepatterns.LINE_BREAK_RE: ("  \n",),
    r"\*": ("*",),  # older Python-Markdown: emphasis by AsteriskProcessor
    r"_": ("_",),  # and UnderscoreProcessor (newer: one DelimiterProcessor, below)
}
_DELIMITER = getattr(inlinepatterns, "DelimiterProcessor", None)


def needs(pattern: inlinepatterns.Pattern, extra: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """Return the strings one of which must be in a text for `pattern` to match it; None if unknown."""
    if _DELIMITER is not None and isinstance(pattern, _DELIMITER):  # '*' and '_' emphasis
        return tuple(pattern.tokens) or None
    if not isinstance(pattern, inlinepatterns.InlineProcessor):
        return None
    source = pattern.compiled_re.pattern
    return extra.get(source, _NEEDS.get(source))


# The two private methods the class below relies on; a Python-Markdown without them gets its own
# InlineProcessor (slower, the same tree) rather than a parser that fails.
CAN_SKIP = all(hasattr(treeprocessors.InlineProcessor, name)
               for name in ("_InlineProcessor__handleInline", "_InlineProcessor__applyPattern"))


class SkippingInlineProcessor(treeprocessors.InlineProcessor):
    """Python-Markdown's InlineProcessor, skipping each pattern whose needed characters are absent.

    `extra` maps further expressions (an extension's own) to what they need.
    """

    def __init__(self, md, extra: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(md)
        self.extra = extra or {}
        self._table: list[tuple[inlinepatterns.Pattern, tuple[str, ...] | None]] | None = None
        self._registered: list[inlinepatterns.Pattern] = []

    def run(self, tree, ancestors=None):
        patterns = list(self.inlinePatterns)
        if self._table is None or patterns != self._registered:
            self._registered = patterns
            self._table = [(pattern, needs(pattern, self.extra)) for pattern in patterns]
        return super().run(tree, ancestors)

    # Replaces InlineProcessor.__handleInline (name-mangled), which run() and __applyPattern call.
    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if isinstance(data, util.AtomicString):
            return data
        table = self._table
        apply = self._InlineProcessor__applyPattern
        start = 0
        count = len(table)
        while patternIndex < count:
            pattern, needed = table[patternIndex]
            if needed is not None:
                for string in needed:
                    if string in data:
                        break
                else:  # no match possible: go on as Python-Markdown does after a failed search
                    patternIndex += 1
                    start = 0
                    continue
            data, matched, start = apply(pattern, data, patternIndex, start)
            if not matched:
                patternIndex += 1
        return data



# Block processors (of exactly these classes) -> strings one of which a block must hold for the
# processor's test to be True; ReferenceProcessor's test is always True and its run gives up
# (puts the block back) when its expression finds no "[label]: address" line.
_BLOCK_NEEDS: dict[type[BlockProcessor], tuple[str, ...]] = {
    TableProcessor: ("|",),
    blockprocessors.HashHeaderProcessor: ("#",),
    blockprocessors.SetextHeaderProcessor: ("\n=", "\n-"),
    blockprocessors.HRProcessor: ("-", "_", "*"),
    blockprocessors.BlockQuoteProcessor: (">",),
    blockprocessors.ReferenceProcessor: ("]:",),
}


def skip_block_tests(parser: BlockParser) -> None:
    """Make each block processor the table knows answer False at once for a block without what it needs."""
    for processor in parser.blockprocessors:
        needed = _BLOCK_NEEDS.get(type(processor))
        if needed is not None and "test" not in vars(processor):
            processor.test = _needing(processor.test, needed)  # type: ignore[method-assign]


def _needing(test: Callable[[etree.Element, str], bool], needed: tuple[str, ...]) -> Callable[
        [etree.Element, str], bool]:
    def quick(parent: etree.Element, block: str) -> bool:
        for string in needed:
            if string in block:
                return test(parent, block)
        return False
    return quick
