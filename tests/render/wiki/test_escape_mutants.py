"""The wikitext escaping's functions pinned where mutation testing found them loose (`make mutate
MODULE=escape`): which context each function escapes for, and a protocol that ends a text before markup.
"""
from __future__ import annotations

import pytest

from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.escape import PROTOCOLS, escape


@pytest.mark.parametrize("function", [wikiescape.external_label, wikiescape.link_label])
def test_a_label_escapes_what_would_end_or_split_the_link(function) -> None:  # type: ignore[no-untyped-def]
    # A bare URL's label is the URL itself: "https://x.org/a]b" must not end [https://x.org/a%5Db …] early.
    assert function("https://x.org/a]b|c[d") == "https&#58;//x.org/a&#93;b&#124;c&#91;d"
    assert function("") == "<nowiki/>"


def test_an_attribute_escapes_as_a_label_and_quotes() -> None:
    assert wikiescape.attribute('a|b]"c"[d') == "a&#124;b&#93;&quot;c&quot;&#91;d"


def test_running_text_is_not_a_line_start_unless_asked() -> None:
    for text in ("* not a list", "# not a list", ": no indent", "; no term", "= no heading =", " no pre"):
        assert wikiescape.text(text) == text
        assert wikiescape.text(text, start=True) != text
    assert wikiescape.text("a | b ] c") == "a | b ] c"  # running text, not a label or a cell


def test_a_heading_is_running_text_without_its_outer_spaces() -> None:
    assert wikiescape.heading("  a | b ] [c]  ") == "a | b ] [c]"


@pytest.mark.parametrize("protocol", PROTOCOLS, ids=[p.rstrip(":/") for p in PROTOCOLS])
def test_a_protocol_that_ends_a_text_before_markup(protocol: str) -> None:
    scheme, rest = protocol.split(":", 1)
    for before in ("", "see ", "*see* ", "a:b "):
        assert escape(before + protocol, after="''") == f"{escape(before)}{scheme}&#58;{rest}"
        assert escape(before + protocol) == escape(before) + protocol  # nothing after it: nothing to link
    assert escape(protocol, after="</code>") == f"{scheme}&#58;{rest}"
    assert escape("x" + protocol, after="''") == "x" + protocol  # not at a word's start: not a protocol


def test_every_protocol_has_one_colon() -> None:
    # escape() finds the colon to escape with index(":"); rindex would do the same, as every protocol has one.
    assert all(p.count(":") == 1 for p in PROTOCOLS)
