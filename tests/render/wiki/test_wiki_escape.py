"""The wikitext escaping, offline: exact escapes per context, and mwparserfromhell finding no markup.

What MediaWiki itself makes of these escapes is checked in test_wiki_mediawiki.py.
"""
from __future__ import annotations

import mwparserfromhell
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mwparserfromhell.nodes import HTMLEntity, Tag, Text

from pipeline.render.wiki import escape as wikiescape
from pipeline.render.wiki.escape import CELL, HEADER_CELL, LABEL, RUNNING, escape


@pytest.mark.parametrize("text, expected", [
    ("plain words, no change: 3 < 4 > 2 & 1", "plain words, no change: 3 < 4 > 2 & 1"),
    ("{{Template}} and {{{param}}}", "&#123;{Template}} and &#123;&#123;{param}}}"),
    ("a lone { and }", "a lone { and }"),
    ("-{zh-hans:A}-", "-&#123;zh-hans:A}-"),
    ("[[Page]] and [not a link] and [https://x.org y]", "&#91;[Page]] and [not a link] and &#91;https&#58;//x.org y]"),
    ("[//example.org x]", "&#91;//example.org x]"),
    ("~~ ~~~ ~~~~ ~~~~~ ~~~~~~", "~~ ~~&#126; ~~&#126;~ ~~&#126;~~ ~~&#126;~~&#126;"),
    ("__NOTOC__ __ÜBER__ snake_case a__b", "&#95;_NOTOC__ &#95;_ÜBER__ snake_case a&#95;_b"),
    ("''i'' '''b''' it's", "&#39;'i&#39;' &#39;&#39;'b&#39;&#39;' it's"),
    ("<script> </div> <!-- c --> <nowiki/> a<b <3 a < b <= c <-", "&lt;script> &lt;/div> &lt;!-- c --> &lt;nowiki/> "
     "a&lt;b &lt;3 a < b <= c <-"),  # "<3": mwparserfromhell would read a tag
    ("&amp; &lt; &#123; &#x7b; &nbsp; AT&T a & b &;", "&amp;amp; &amp;lt; &amp;#123; &amp;#x7b; &amp;nbsp; AT&T a & b &;"),
    ("https://x.org mailto:a@b.org news:c Tel:1 xhttp://y http: z", "https&#58;//x.org mailto&#58;a@b.org news&#58;c "
     "Tel&#58;1 xhttp://y http: z"),
    ("RFC 1234 ISBN 978-3-16-148410-0 PMID\u00a012 RFC x RFCs 1", "RFC<nowiki/> 1234 ISBN<nowiki/> 978-3-16-148410-0 "
     "PMID<nowiki/>\u00a012 RFC x RFCs 1"),
    ("line\nbreak\r\n", "line break  "),
    ("a | b !! c", "a | b !! c"),
])
def test_running_text(text: str, expected: str) -> None:
    assert wikiescape.text(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("* list", "&#42; list"), ("# list", "&#35; list"), (": indent", "&#58; indent"), ("; term", "&#59; term"),
    ("= h =", "&#61; h ="), ("---- rule", "&#45;--- rule"), ("--- not a rule", "--- not a rule"),
    ("{| table", "&#123;| table"), (" space", "&#32;space"), ("{{x}}", "&#123;{x}}"), ("plain", "plain"),
    ("#REDIRECT [[X]]", "&#35;REDIRECT &#91;[X]]"),
])
def test_line_start(text: str, expected: str) -> None:
    assert wikiescape.text(text, start=True) == expected


@pytest.mark.parametrize("function, text, expected", [
    (wikiescape.link_label, "a ] b | c [d]", "a &#93; b &#124; c &#91;d&#93;"),
    (wikiescape.link_label, "", "<nowiki/>"),
    (wikiescape.external_label, "see https://x.org", "see https&#58;//x.org"),
    (wikiescape.cell, "a | b || c !! d", "a &#124; b &#124;&#124; c !! d"),
    (lambda t: wikiescape.cell(t, header=True), "a !! b !!! c", "a &#33;! b &#33;&#33;! c"),
    (wikiescape.heading, "  = Topic 2: {{x}} =  ", "= Topic 2: &#123;{x}} ="),
    (wikiescape.preformatted, "</pre> <nowiki> &amp; ~~~~ {{x}}\n* y", "&lt;/pre> &lt;nowiki> &amp;amp; ~~&#126;~ {{x}}\n* y"),
    (lambda t: wikiescape.preformatted(t, one_line=True), "a\nb", "a&#10;b"),
    (wikiescape.attribute, 'text-align: "x"', "text-align: &quot;x&quot;"),
    (wikiescape.comment, "a -- b -->", "a - - b - -&gt;"),
])
def test_contexts(function, text: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    assert function(text) == expected


@pytest.mark.parametrize("url, expected", [
    ("https://example.org/a_(b)?q=1&x=2#f", "https://example.org/a_(b)?q=1&x=2#f"),
    ("https://example.org/{{x}}", "https://example.org/&#123;{x}}"),
    ("https://example.org/a''b", "https://example.org/a&#39;'b"),
    ("https://example.org/~~~~", "https://example.org/~~&#126;~"),
    ("https://example.org/__NOTOC__", "https://example.org/&#95;_NOTOC__"),
    ("https://example.org/&amp;", "https://example.org/&amp;amp;"),
    ('https://example.org/[a]|<b> "c"', "https://example.org/%5Ba%5D%7C%3Cb%3E%20%22c%22"),
])
def test_urls(url: str, expected: str) -> None:
    assert wikiescape.url(url) == expected


@pytest.mark.parametrize("title, expected", [
    ("Trust and Safety", "Trust and Safety"), ("Grants:Start", "Grants:Start"), ("AT&T", "AT&T"),
    ("AT&amp;T", None), ("&#123;", None), ("&#x7b;", None), ("Caf&eacute;", None), ("a & b; c", "a & b; c"),
    ("a__NOTOC__b", "a&#95;_NOTOC&#95;_b"), ("Page#Section", "Page#Section"),
    ("a[b", None), ("a|b", None), ("a{b", None), ("a<b", None), ("~~~~", None), ("", None), ("a\nb", None),
])
def test_page_titles(title: str, expected: str | None) -> None:
    assert wikiescape.page_title(title) == expected


def test_edges_next_to_generated_markup() -> None:
    assert escape("'s", before="''") == "&#39;s"  # ''it'''s would open bold
    assert escape("users'", after="'''") == "users&#39;"
    assert escape("it's", before="''", after="''") == "it's"
    assert escape("see [", after="[[Page]]") == "see &#91;"
    assert escape("see [", after="[https://x.org y]") == "see &#91;"
    assert escape("see [", after="''") == "see ["
    assert escape("s and more", before="[[Page|label]]") == "<nowiki/>s and more"  # no link trail
    assert escape(" s", before="[[Page]]") == " s"


def test_contexts_combine() -> None:
    in_cell_label = wikiescape.Context(label=True, cell=True)
    assert escape("a|b]", in_cell_label) == "a&#124;b&#93;"
    assert escape("!!", wikiescape.Context(cell=True, header=True)) == "&#33;!"
    assert CELL.in_label() == in_cell_label and RUNNING.in_label() == LABEL
    assert escape("!!", CELL) == "!!" and escape("!!", HEADER_CELL) == "&#33;!"


# ------------------------------------------------------------------ mwparserfromhell finds no markup

PIECES = ["{", "}", "[", "]", "|", "'", "~", "_", "<", ">", "&", "#", ";", ":", "=", "*", "!", "-", " ", "\n",
          "a", "Z", "é", "1", "/", ".", "https://", "mailto:", "//", "{{", "}}", "[[", "]]", "''", "'''", "~~~~",
          "__NOTOC__", "&amp;", "&#123;", "<nowiki>", "</nowiki>", "<!--", "-->", "<ref>", "<pre>", "{|", "|}",
          "|-", "||", "!!", "----", "RFC 1", "ISBN 1234567890", "-{", "}-", "<br>", "[[File:x]]", "{{!}}"]
# Control characters are left out: validation refuses them before any output is written.
wiki_text = st.one_of(st.lists(st.sampled_from(PIECES), max_size=30).map("".join),
                      st.text(st.characters(blacklist_categories=("Cc", "Cs")) | st.just("\n"), max_size=40))


def decoded(wikitext: str) -> str:
    """Return the text mwparserfromhell finds in `wikitext`, failing on any node that is markup."""
    out = []
    for node in mwparserfromhell.parse(wikitext, skip_style_tags=False).nodes:
        if isinstance(node, Text):
            out.append(str(node))
        elif isinstance(node, HTMLEntity):
            out.append(node.normalize())
        elif isinstance(node, Tag) and str(node) == "<nowiki/>":
            continue
        else:
            raise AssertionError(f"markup {type(node).__name__} {str(node)!r} in {wikitext!r}")
    return "".join(out)


@settings(max_examples=300, deadline=None)
@given(wiki_text)
def test_escaped_text_holds_no_markup(text: str) -> None:
    expected = text.replace("\r", " ").replace("\n", " ")
    assert decoded(wikiescape.text(text, start=True)) == expected
    # A label or a cell never starts a line: "x" stands for what comes before it.
    assert decoded("x" + wikiescape.link_label(text)) == "x" + expected
    assert decoded("x" + wikiescape.cell(text, header=True)) == "x" + expected


@settings(max_examples=200, deadline=None)
@given(wiki_text, wiki_text.filter(lambda t: t.strip()))
def test_escaped_text_stays_text_beside_emphasis(left: str, right: str) -> None:
    left, right = left.replace("\n", " "), right.replace("\n", " ")
    wikitext = "x" + escape(left, after="''") + "''" + escape(right, before="''", after="''") + "''"
    nodes = mwparserfromhell.parse(wikitext, skip_style_tags=False).nodes
    styled = [n for n in nodes if isinstance(n, Tag) and n.wiki_markup]
    assert len(styled) == 1 and styled[0].wiki_markup == "''", wikitext
