"""The text email's block and inline rules, pinned where mutation testing found them loose (`make mutate
MODULE=text`): list start numbers, mailto markers, code blocks, quote and table widths, column counting.

Each stage test gives an element tree and a width, so that it holds whatever width the letter uses.
"""
from __future__ import annotations

import xml.etree.ElementTree as etree
from pathlib import Path

import pytest
from conftest import TEMPLATES, digest_text

from pipeline.check.archive import load_archive
from pipeline.model.diagnostics import has_errors
from pipeline.render.email import mime as email_mime
from pipeline.render.email.text import BREAK, Links, Words, blocks, heading, width, wrap


def lines(html: str, columns: int = 40) -> tuple[list[str], dict[str, int]]:
    """Return the text lines of the blocks in `html`, and the link numbers they used."""
    links = Links()
    return blocks(list(etree.fromstring(f"<div>{html}</div>")), columns, links), links.numbers


# ------------------------------------------------------------------ lists

@pytest.mark.parametrize("start, expected", [
    ("3", ["3. three", "4. four"]),
    ("9", ["9.  nine", "10. ten"]),
    ("0", ["0. zero", "1. one"]),
    ("x", ["1. x1", "2. x2"]),
    (None, ["1. one", "2. two"]),
])
def test_an_ordered_list_counts_from_its_start(start: str | None, expected: list[str]) -> None:
    words = [line.split(" ")[-1] for line in expected]
    attribute = f' start="{start}"' if start is not None else ""
    made, _ = lines(f"<ol{attribute}>" + "".join(f"<li>{w}</li>" for w in words) + "</ol>")
    assert made == expected


def test_a_list_written_from_three_says_three_in_both_bodies(scratch: Path) -> None:
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", "## Steps\n\n3. Third.\n4. Fourth.\n"),
                                    encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, __import__("datetime").date(2026, 1, 1))
    assert not has_errors(archive.diagnostics)
    made = email_mime.bodies(archive, archive.digests[0])
    assert '<ol start="3"' in made.html
    assert "\n3. Third.\n4. Fourth.\n" in made.text


def test_list_markers_by_depth_and_items_that_wrap() -> None:
    made, _ = lines("<ul><li>one two three four<ul><li>five six seven</li></ul></li><li>x</li></ul>", 12)
    assert made == ["* one two", "  three four", "  - five six", "    seven", "* x"]


def test_a_loose_list_separates_its_items() -> None:
    made, _ = lines("<ul><li><p>one</p><p>more</p></li><li><p>two</p></li></ul>")
    assert made == ["* one", "", "  more", "", "* two"]


def test_an_empty_item_keeps_its_marker() -> None:
    assert lines("<ul><li></li><li>b</li></ul>")[0] == ["* ", "* b"]  # the letter strips the space


# ------------------------------------------------------------------ links

def test_a_mailto_link_with_a_label_gets_a_marker() -> None:
    made, numbers = lines('<p>Write <a href="mailto:team@example.org">to the team</a> today.</p>')
    assert made == ["Write to the team [1] today."]
    assert numbers == {"mailto:team@example.org": 1}


@pytest.mark.parametrize("html", [
    '<a href="mailto:team@example.org">team@example.org</a>',
    '<a href="https://example.org/x">https://example.org/x</a>',
    '<a href="https://example.org/x"> https://example.org/x </a>',
])
def test_a_link_showing_its_address_needs_no_marker(html: str) -> None:
    made, numbers = lines(f"<p>See {html} now.</p>")
    assert "[1]" not in " ".join(made) and numbers == {}


def test_one_number_per_address_in_order_of_first_mention() -> None:
    made, numbers = lines('<p><a href="https://b.example">b</a> <a href="https://a.example">a</a> '
                          '<a href="https://b.example">again</a></p>')
    assert made == ["b [1] a [2] again [1]"]
    links = Links()
    links.number("https://b.example")
    for n in range(2, 11):
        links.number(f"https://x{n}.example")
    assert links.lines()[0] == "[1]  https://b.example" and links.lines()[-1] == "[10] https://x10.example"


def test_a_marker_after_a_break_or_at_the_start_stands_alone() -> None:
    words = Words()
    words.glue("[1]")
    assert words.words == ["[1]"]
    words.hard_break()
    words.glue("[2]")
    assert words.words == ["[1]", BREAK, "[2]"]


# ------------------------------------------------------------------ code, quotes, rules

def test_a_code_block_keeps_blank_lines_and_expands_tabs() -> None:
    made, _ = lines("<p>Run:</p><pre><code>a\n\n\tb\n  \nx\ty\n\n</code></pre><p>Done.</p>")
    assert made == ["Run:", "", "    a", "", "        b", "", "    x   y", "", "Done."]


def test_a_code_block_is_not_wrapped() -> None:
    long = "SELECT " + "column, " * 12 + "x FROM page;"
    assert lines(f"<pre><code>{long}</code></pre>", 20)[0] == ["    " + long]


def test_a_quote_fits_its_marks_within_the_width() -> None:
    made, _ = lines("<blockquote><p>aaaa bbbb cccc dddd eeee</p><p>f</p></blockquote>", 16)
    assert made == ["> aaaa bbbb cccc", "> dddd eeee", ">", "> f"]
    assert all(width(line) <= 16 for line in made)


def test_a_quote_in_a_list_item() -> None:
    made, _ = lines("<ul><li>said:<blockquote><p>aaaa bbbb cccc</p></blockquote></li></ul>", 12)
    assert made == ["* said:", "  > aaaa", "  > bbbb", "  > cccc"]


def test_a_rule_and_headings() -> None:
    made, _ = lines("<h3>Sub</h3><hr/><h4>Deeper one</h4><h2>T</h2>", 6)
    assert made == ["Sub", "~~~", "", "* * *", "", "Deeper", "one", "......", "", "T", "-"]


# ------------------------------------------------------------------ tables

def table(*rows: tuple[str, ...], head: bool = True, right: int = -1) -> str:
    made = []
    for n, row in enumerate(rows):
        tag = "th" if head and n == 0 else "td"
        cells = "".join(f'<{tag} style="text-align: right;">{c}</{tag}>' if i == right else f"<{tag}>{c}</{tag}>"
                        for i, c in enumerate(row))
        made.append(f"<tr>{cells}</tr>")
    return "<table>" + "".join(made) + "</table>"


def test_a_table_exactly_as_wide_as_the_text_is_aligned() -> None:
    html = table(("Tool", "Cost"), ("Quarry", "10"), right=1)
    made, _ = lines(html, 12)  # 6 + 2 + 4 columns
    assert made == ["Tool    Cost", "------  ----", "Quarry    10"]


def test_a_table_one_column_too_wide_becomes_rows() -> None:
    html = table(("Tool", "Cost"), ("Quarry", "10"))
    made, _ = lines(html, 11)
    assert made == ["Tool |", "  Cost", "------", "Quarry |", "  10"]
    assert lines(html, 12)[0] == ["Tool    Cost", "------  ----", "Quarry  10"]


def test_a_table_too_wide_wraps_each_row_under_its_first_line() -> None:
    html = table(("Name", "What it does"), ("Quarry", "runs SQL queries against the replicas"))
    made, _ = lines(html, 20)
    assert made == ["Name | What it", "  does", "--------------", "Quarry | runs SQL", "  queries against",
                    "  the replicas"]
    assert all(width(line) <= 20 for line in made)


def test_a_table_without_a_head_row_and_with_ragged_rows() -> None:
    made, _ = lines(table(("a", "bb", "c"), ("dd",), head=False), 20)
    assert made == ["a   bb  c", "dd"]


def test_a_table_s_links_get_markers() -> None:
    made, numbers = lines(table(("Tool",), ('<a href="https://q.example">Quarry</a>',)), 20)
    assert made == ["Tool", "----------", "Quarry [1]"] and numbers == {"https://q.example": 1}


# ------------------------------------------------------------------ columns

@pytest.mark.parametrize("text, columns", [
    ("abc", 3), ("", 0), ("日本語", 6), ("e\u0301", 1), ("e\u0301\u0301\u0301", 1), ("a\u200bb", 2),
    ("\u20dd", 0), ("é", 1), ("ｱ", 1), ("Ａ", 2), ("\u0645\u064e", 1),
])
def test_what_a_terminal_shows_in_columns(text: str, columns: int) -> None:
    assert width(text) == columns


def test_combining_marks_do_not_push_a_word_to_the_next_line() -> None:
    accented = "e\u0301" * 5  # five columns, ten characters
    assert wrap(["abcd", accented], 10) == [f"abcd {accented}"]
    assert wrap(["abcd", "日本語"], 11) == ["abcd 日本語"]
    assert wrap(["abcd", "日本語x"], 11) == ["abcd", "日本語x"]


def test_wrap_fills_exactly_to_the_width() -> None:
    assert wrap(["aaaa", "bbbb", "cc"], 12) == ["aaaa bbbb cc"]
    assert wrap(["aaaa", "bbbb", "ccc"], 12) == ["aaaa bbbb", "ccc"]
    assert wrap(["é" * 4, "bbbb", "cc"], 12) == ["éééé bbbb cc"]
    assert wrap(["é" * 4, "bbbb", "ccc"], 12) == ["éééé bbbb", "ccc"]
    assert wrap(["a" * 15], 12) == ["a" * 15]
    assert wrap([], 12) == []
    assert wrap(["a", BREAK, "b", BREAK], 12) == ["a", "b"]
    assert wrap([BREAK, "b"], 12) == ["", "b"]


def test_control_characters_vanish_and_other_whitespace_separates_words() -> None:
    words = Words()
    words.text("a\x01b\tc\nd  e")
    assert words.words == ["ab", "c", "d", "e"]
    words = Words()
    words.text("x")
    words.text("y z")
    words.text(" ")
    words.text("w")
    assert words.words == ["xy", "z", "w"]


# ------------------------------------------------------------------ inline elements inside others

def test_a_closing_mark_after_a_line_break_starts_the_next_word() -> None:
    assert lines("<p><em>a<br/></em>b</p>")[0] == ["*a", "*b"]
    assert lines("<p>a<br/>b</p>")[0] == ["a", "b"]


def test_emphasis_inside_a_link_inside_emphasis_is_marked_once() -> None:
    made, numbers = lines('<p><em>a <a href="https://x.org"><strong>b</strong></a></em></p>')
    assert made == ["*a b [1]*"] and numbers == {"https://x.org": 1}


def test_links_inside_emphasis_headings_and_quotes_get_markers() -> None:
    made, numbers = lines('<p><em><a href="https://a.org">a</a></em></p><h3><a href="https://b.org">b</a></h3>'
                          '<blockquote><p>see <a href="https://c.org">c</a></p><ul><li>d</li></ul></blockquote>')
    assert made == ["*a [1]*", "", "b [2]", "~~~~~", "", "> see c [3]", ">", "> * d"]
    assert numbers == {"https://a.org": 1, "https://b.org": 2, "https://c.org": 3}


def test_an_element_of_no_known_kind_keeps_its_words() -> None:
    assert lines("<ul><li>a <span>b <em>c</em></span> d</li></ul><p>e <span>f</span></p>")[0] == [
        "* a b *c* d", "", "e f"]


def test_empty_code_and_empty_blocks() -> None:
    assert lines("<p>a <code></code> b</p><table></table><ul></ul><ol></ol><p>x</p>")[0] == ["a `` b", "", "x"]


def test_whether_a_label_shows_its_address_is_read_from_all_its_text() -> None:
    made, numbers = lines('<p><a href="https://x.org">https://<strong>x.org</strong></a> '
                          '<a href="https://x.org/X">https://x.org/X</a> '
                          '<a href="https://y.org">\u00a0https://y.org</a></p>', 60)
    assert made == ["https://*x.org* https://x.org/X \u00a0https://y.org [1]"] and numbers == {"https://y.org": 1}


# ------------------------------------------------------------------ code blocks and tables, to the character

def test_a_code_block_keeps_every_text_inside_it_and_its_last_characters() -> None:
    assert lines("<pre>a<b>b</b>c</pre><pre><code>MAX\n</code></pre><pre><code>a\n  \n</code></pre>")[0] == [
        "    abc", "", "    MAX", "", "    a", ""]


def test_table_cells_keep_their_last_characters() -> None:
    assert lines(table(("a", "BOX"), ("cc", "b\u00a0"), head=False), 20)[0] == ["a   BOX", "cc  b\u00a0"]


def test_a_row_of_a_too_wide_table_fills_the_width_less_its_indent() -> None:
    made, _ = lines(table(("abcd", "efgh ijkl"), ("a", "b" * 14), head=False), 18)
    assert made == ["abcd | efgh ijkl", "a |", "  bbbbbbbbbbbbbb"]


def test_a_heading_without_words_and_a_marker_without_a_label() -> None:
    assert heading(Words(), 2, 20) == [""]
    assert lines('<p><a href="https://x.org"></a>b</p>')[0] == ["[1]b"]
    assert lines('<p>a<br/><a href="https://x.org"></a>b</p>')[0] == ["a", "[1]b"]


def test_marks_that_take_no_column_of_their_own() -> None:
    assert width("\u0e2a\u0e31") == 1  # Thai: a vowel mark of category Mn whose combining class is 0
    assert width("a\u034fb") == 2  # the combining grapheme joiner: Mn, combining class 0


def test_the_letter_keeps_what_ends_a_line_but_spaces(scratch: Path) -> None:
    (scratch / "001.md").write_text(digest_text(1, "intro: false\n", "## Ends\n\nThe last word is X\n\n"
                                                "Then a no-break space\u00a0\n"), encoding="utf-8")
    archive = load_archive(scratch, TEMPLATES, __import__("datetime").date(2026, 1, 1))
    text = email_mime.bodies(archive, archive.digests[0]).text
    assert "\nThe last word is X\n" in text and "\nThen a no-break space\u00a0\n" in text


def test_unknown_elements_and_hard_breaks_to_the_column() -> None:
    made, numbers = lines('<span>a <span><a href="https://x.org">x</a></span></span><p>a b<br/>c</p>')
    assert made == ["a x [1]", "", "a b", "c"] and numbers == {"https://x.org": 1}
    assert wrap(["x", BREAK, "aaaa", "bbbb"], 9) == ["x", "aaaa bbbb"]


def test_emphasis_inside_an_unknown_element_inside_emphasis_is_marked_once() -> None:
    assert lines("<p><em>a <span><strong>b</strong></span></em></p>")[0] == ["*a b*"]
