"""Skipping inline patterns that cannot match gives Python-Markdown's own tree, faster.

The parser's inline pass (pipeline.mdfast) must give exactly the tree, and the unresolved
references, that Python-Markdown's own InlineProcessor gives with the same patterns.
"""
from __future__ import annotations

import xml.etree.ElementTree as etree
from pathlib import Path

import markdown.treeprocessors
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.corpus import write_corpus
from conftest import DIGESTS
from pipeline.archive import load_settings
from pipeline.load import load_source
from pipeline.mdfast import CAN_SKIP, SkippingInlineProcessor, needs
from pipeline.parse import Parser


@pytest.fixture(scope="module")
def parsers() -> tuple[Parser, Parser]:
    archive, _ = load_settings(DIGESTS)
    ours, stock = Parser(archive.catalog), Parser(archive.catalog)
    stock.md.treeprocessors.register(markdown.treeprocessors.InlineProcessor(stock.md), "inline", 20)
    quick = {name for name in ("table", "hashheader", "setextheader", "hr", "quote", "reference")
             if "test" in vars(stock.md.parser.blockprocessors[name])}
    assert len(quick) == 6
    for processor in stock.md.parser.blockprocessors:
        vars(processor).pop("test", None)  # the class's own test again
    assert CAN_SKIP  # this Python-Markdown has the private methods the fast pass replaces
    assert isinstance(ours.md.treeprocessors["inline"], SkippingInlineProcessor)
    return ours, stock


def parsed(parser: Parser, text: str) -> tuple[bytes, list[tuple[str, str]], list]:
    root, state = parser.tree(text)
    return etree.tostring(root), state.unresolved, state.problems


def same_tree(parsers: tuple[Parser, Parser], text: str) -> None:
    ours, stock = parsers
    assert parsed(ours, text) == parsed(stock, text)


# Pieces that mean something to the inline patterns, or almost do.
PIECES = ["*", "**", "_", "__", "`", "``", "\\", "[", "]", "(", ")", "![", "<", ">", "@", "  \n", "\n", " ",
          "https://", "http://x.org", "://", "mailto:", "a", "word", "é", "[Quarry]", "[text][paws]", "[x][]",
          "[l]: https://l.org\n", "<https://a.org>", "<me@example.org>", "\x02", "\x03", "&amp;", "#", "- ", "1. ",
          "|", " | ", "|---|", "---", ":-:", "> ", ">", "# ", "## ", "#", "\n===\n", "\n---\n", "\n- - -\n",
          "***", "___", "[a]: https://x.org", "[b]:\n  https://y.org \"t\"", "    code\n", "\n\n", "\n| a | b |\n|---|--:|\n| c | d |\n", "\n| one |\n| --- |\n"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join))
@example("plain words and nothing else")
@example("a | b\n--- | ---\nc | d")
@example("| a |\n|---|\n| b |")
@example("a\n---\nb")
@example("Title\n===\n\n> quoted\n> # heading\n\n* * *\n\n[Quarry]: https://q.org\n[x]: https://x.org")
@example("**bold _em_ `code`** [link](https://a.org) <b@c.org> https://x.org/y.  \nbreak \\* [Quarry]")
def test_same_tree_as_python_markdown(parsers: tuple[Parser, Parser], text: str) -> None:
    same_tree(parsers, text)


def test_same_trees_for_the_example_archive_and_a_synthetic_one(parsers, tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 30)
    files = sorted(DIGESTS.glob("*.md")) + sorted(corpus.glob("*.md"))
    assert len(files) > 40
    for path in files:
        source, _ = load_source(path, path.name)
        same_tree(parsers, source.body)


def test_patterns_are_not_tried_on_text_that_cannot_match(parsers, monkeypatch) -> None:
    ours, _ = parsers
    inline = ours.md.treeprocessors["inline"]
    tried: list[str] = []
    apply = inline._InlineProcessor__applyPattern

    def recording(pattern, data, index, start=0):
        tried.append(type(pattern).__name__)
        return apply(pattern, data, index, start)

    monkeypatch.setattr(inline, "_InlineProcessor__applyPattern", recording)
    ours.tree("Plain words, a sentence with nothing to link.")
    assert tried == []
    ours.tree("Some *emphasis* here.")
    assert "DelimiterProcessor" in tried and "LinearLinks" not in tried


def test_every_pattern_the_parser_registers_is_known_or_always_tried(parsers) -> None:
    ours, _ = parsers
    inline = ours.md.treeprocessors["inline"]
    known = {type(p).__name__: needs(p, inline.extra) for p in ours.md.inlinePatterns}
    assert all(value for value in known.values()), known  # each registered pattern is skipped when it can be
    assert known["DelimiterProcessor"] == ("*", "_")


def test_a_pattern_it_does_not_know_is_always_tried(parsers) -> None:
    ours, _ = parsers
    unknown = markdown.inlinepatterns.SimpleTagInlineProcessor(r"(~~)(.+?)~~", "del")
    assert needs(unknown, {}) is None
    ours.md.inlinePatterns.register(unknown, "strike", 55)
    try:
        root, _ = ours.tree("a ~~gone~~ word")
        assert root.find(".//del") is not None
    finally:
        ours.md.inlinePatterns.deregister("strike")
