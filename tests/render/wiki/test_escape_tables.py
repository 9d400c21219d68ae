"""Every entry of the wikitext escaping's rule tables, mutated by hand: each one is shown to matter.

mutmut changes function bodies only; the tables of escape.py (the protocols, the parts of the escaping
patterns, the line starts, the characters that end a URL or a title) are module-level. Here each entry is
removed or changed in a copy of the module, one at a time, and a witness text shows the difference:

- a rule (something escaped): without it the witness comes out unescaped, and the real MediaWiki (or, for
  the tools that read pages with it, mwparserfromhell) misreads it; with it, the witness reads as written;
- an exception (something left as written, so that the wikitext stays readable): without it the witness
  comes out escaped; with it, unescaped, the witness still reads as written on the wiki;
- a guard: a rule that no reader here misreads without, kept for a reader elsewhere; each says which.

The offline tests check that each mutation changes its witness's wikitext (and, for mwparserfromhell, what
that library reads); the MediaWiki test checks, on the real wiki, that the original reads as written and,
for each rule, that the mutated copy does not.
"""
from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import mwparserfromhell
import pytest
from mediawiki import LocalWiki, mediawiki, read_html  # noqa: F401 - the wiki fixture
from mwparserfromhell.nodes import ExternalLink

from pipeline.render.wiki import escape as wikiescape

SOURCE = Path(wikiescape.__file__).read_text(encoding="utf-8")
UNDER_MUTMUT = "mutmut generated" in SOURCE  # mutmut's copy repeats function bodies: a string may recur
Witness = Callable[[types.ModuleType], str]


@dataclass(frozen=True)
class Mutation:
    """One table entry changed: `old` becomes `new` in escape.py's source; `witness` shows the difference."""

    name: str
    old: str
    new: str
    witness: Witness  # the wikitext a module makes of the witness text
    frame: str  # where that wikitext stands on a page ("{}"); "" where no page can hold it
    reads: str  # the text a reader sees, the entry in place
    rule: bool = True  # False: an exception, whose removal only escapes more
    guard: str = ""  # a rule no reader here misreads without: why it stays
    reader: str = "MediaWiki"  # who misreads the mutated copy's wikitext: MediaWiki or mwparserfromhell


def mutated(mutation: Mutation) -> types.ModuleType:
    """Return a copy of escape.py with `mutation` applied."""
    count = SOURCE.count(mutation.old)
    assert count == 1 or (UNDER_MUTMUT and count > 1), f"{mutation.name}: {mutation.old!r} is found {count} times"
    module = types.ModuleType(f"escape_mutated_{abs(hash(mutation.name))}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(SOURCE.replace(mutation.old, mutation.new), module.__name__, "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]
    return module


def text(value: str, **kw: object) -> Witness:
    return lambda m: m.escape(value, **kw)


def start(value: str) -> Witness:
    return lambda m: m.escape(value, start=True)


def call(function: str, *args: object) -> Witness:
    return lambda m: getattr(m, function)(*args)


MUTATIONS: list[Mutation] = []


def rule(name: str, old: str, new: str, witness: Witness, reads: str, frame: str = "{}",
         reader: str = "MediaWiki") -> None:
    MUTATIONS.append(Mutation(name, old, new, witness, frame, reads, reader=reader))


def exception(name: str, old: str, new: str, witness: Witness, reads: str) -> None:
    MUTATIONS.append(Mutation(name, old, new, witness, "{}", reads, rule=False))


def guard(name: str, old: str, new: str, witness: Witness, reads: str, frame: str, why: str) -> None:
    MUTATIONS.append(Mutation(name, old, new, witness, frame, reads, guard=why))


TABLE = '{{| class="wikitable"\n|-\n| {}\n|}}'
HEADER_TABLE = '{{| class="wikitable"\n|-\n! {}\n|}}'


def drop_protocol(protocol: str) -> tuple[str, str]:
    for entry in (f'"{protocol}", ', f'"{protocol}",', f', "{protocol}"'):
        if entry in SOURCE:
            return entry, ""
    raise AssertionError(f"{protocol} is not in PROTOCOLS")


# ------------------------------------------------------------------ the protocols of free and bracketed links

for _p in wikiescape.PROTOCOLS:
    rule(f"PROTOCOLS {_p}", *drop_protocol(_p), text(f"see {_p}example.org/x"), f"see {_p}example.org/x")

# ------------------------------------------------------------------ running text: _COMMON's alternatives

_BRACES = 'r"(?P<brace>\\{(?=\\{)|(?<=-)\\{)"\n'  # the line of _COMMON; _URL_SPECIAL's goes on after it
rule("brace {{", _BRACES, _BRACES.replace("\\{(?=\\{)|", ""), text("{{PAGENAME}}"), "{{PAGENAME}}")
guard("brace -{", _BRACES, _BRACES.replace("|(?<=-)\\{", ""), text("a-{b}-c"), "a-{b}-c", "{}",
      "-{…}- is language conversion, done only where the page's language has variants (zh, sr, …)")
rule("tilde", r'r"|(?P<tilde>~~~)"', r'r"|(?P<tilde>~~~~~~)"', text("sign ~~~~"), "sign ~~~~")
rule("quote", "r\"|(?P<quote>'(?='))\"", "r\"|(?P<quote>'(?=''))\"", text("''it''"), "''it''")
rule("under", r'r"|(?P<under>_(?=_[^\W_]))"', r'r"|(?P<under>_(?=__))"', text("__NOTOC__ x"), "__NOTOC__ x")
rule("tag", "(?P<tag><(?=", "(?P<tag><(?=!)(?=", text("<b>bold</b>"), "<b>bold</b>")
_TAG_CLASS = r"[^\s#&'*\-:;=>\[\]{|}]"
for _c, _w in ((r"\s", "a < b"), ("#", "<#1"), ("&", "<&"), ("'", "<'"), ("*", "<*"), (r"\-", "<-"),
               (":", "<:"), (";", "<;"), ("=", "<="), (">", "<>"), (r"\[", "<[x"), (r"\]", "<]"), ("{", "<{"),
               ("|", "<|"), ("}", "<}")):
    exception(f"tag not before {_c}", _TAG_CLASS, _TAG_CLASS.replace(_c, "", 1), text(_w), _w)
rule("entity", r'r"|(?P<entity>&(?=#?\w+;))"', r'r"|(?P<entity>&(?=#\w+;))"', text("AT&amp;T"), "AT&amp;T")
exception("entity needs ;", r'r"|(?P<entity>&(?=#?\w+;))"', r'r"|(?P<entity>&(?=#?\w+))"', text("AT&T"), "AT&T")
exception("scheme at a word's start", r"(?P<scheme>(?<![A-Za-z0-9_])", "(?P<scheme>", text("xhttp://y.org"),
          "xhttp://y.org")
exception("scheme needs a URL character", "{re.escape(p.split(':', 1)[1])}{_URL_CHAR})",
          "{re.escape(p.split(':', 1)[1])})", text("http:// alone"), "http:// alone")
for _word in ("RFC", "PMID", "ISBN"):
    _words = "RFC|PMID|ISBN"
    rule(f"magic {_word}", f"(?:{_words})(?={{_SPACES}}", f"(?:{_words.replace(_word, 'NONE')})(?={{_SPACES}}",
         text(f"{_word} 1234567890"), f"{_word} 1234567890")
exception("magic at a word's start", "(?P<magic>(?<![A-Za-z0-9_])", "(?P<magic>", text("xRFC 1234"), "xRFC 1234")
rule("magic-link spaces", "(?={_SPACES}+[0-9])", "(?=[0-9])", text("RFC\u00a01234"), "RFC\u00a01234")
# _SPACES and _URL_CHAR also name \u00a0, \u1680, \u2000-\u200a, \u202f, \u205f and \u3000, as MediaWiki's \p{Zs}
# does; Python's \s holds them all already (test_the_listed_spaces_are_spaces_to_python).
for _c, _w in ((r"\r", "a\r* b"), (r"\n", "a\n* b")):
    rule(f"newline {_c}", r'r"|(?P<newline>[\r\n])"', r'r"|(?P<newline>[\r\n])"'.replace(_c, ""),
         text(_w), "a * b")

# ------------------------------------------------------------------ "[" before a link, and labels, cells

rule("bracket [[", r"\[(?=\[|//|", r"\[(?=//|", text("[[Main Page]]"), "[[Main Page]]")
rule("bracket //", r"\[(?=\[|//|", r"\[(?=\[|", text("[//example.org label]"), "[//example.org label]")
for _c, _w in ((r"\[", "a[[b"), (r"\]", "a]]b")):
    rule(f"label {_c}", r"(?P<labelchar>[\[\]|])", r"(?P<labelchar>[\[\]|])".replace(_c, "", 1),
         call("link_label", _w), _w, "[[Main Page|{}]]")
# "|" in a label: harmless in running text ([[Main Page|a|b]] shows "a|b"), but "||" in a cell ends the cell.
rule("label |", r"(?P<labelchar>[\[\]|])", r"(?P<labelchar>[\[\]])",
     lambda m: m.escape("a||b", m.CELL.in_label()), "a||b", TABLE.replace("{}", "[[Main Page|{}]]"))
rule("cell |", r'(r"|(?P<pipe>\|)" if cell and not label else "")', '""', call("cell", "a || b"), "a || b", TABLE)
rule("header !!", r'(r"|(?P<bang>!(?=!))" if header else "")', '""', call("cell", "a !! b", True), "a !! b",
     HEADER_TABLE)

# ------------------------------------------------------------------ what the end of a text joins with

rule("link start [", r'_LINK_START = re.compile(rf"\[|//|', r'_LINK_START = re.compile(rf"//|',
     text("see [", after="[Main Page]]"), "see [[Main Page]]", "{}[Main Page]]")
rule("link start //", r'_LINK_START = re.compile(rf"\[|//|', r'_LINK_START = re.compile(rf"\[|',
     text("see [", after="//example.org label]"), "see [//example.org label]", "{}//example.org label]")
rule("link start protocol", r'_LINK_START = re.compile(rf"\[|//|(?i:{_PROTOCOLS})")',
     r'_LINK_START = re.compile(rf"\[|//")', text("see [", after="https://example.org label]"),
     "see [https://example.org label]", "{}https://example.org label]")
rule("trailing protocol", r"(?i:{_PROTOCOLS})\Z", r"(?i:{_PROTOCOLS})\Z(?!x)x", text("svn://", after="</code>"),
     "svn://", "<code>{}</code>", reader="mwparserfromhell")

# ------------------------------------------------------------------ the fast path: text with none of these is safe

_SPECIAL_CLASS = r"[{~'_<&:\[\]|!\r\n]|RFC"
for _c, _w in (("{", "{{PAGENAME}}"), ("~", "~~~~"), ("'", "''it''"), ("_", "__NOTOC__ x"), ("<", "<b>x</b>"),
               ("&", "AT&amp;T"), (":", "https://example.org/x"), (r"\r", "a\r* b"), (r"\n", "a\n* b")):
    rule(f"fast path {_c}", _SPECIAL_CLASS, _SPECIAL_CLASS.replace(_c, "", 1), text(_w),
         "a * b" if "*" in _w else _w)
rule(r"fast path \[", _SPECIAL_CLASS, _SPECIAL_CLASS.replace(r"\[", "", 1), call("link_label", "a[[b"), "a[[b",
     "[[Main Page|{}]]")
rule(r"fast path \]", _SPECIAL_CLASS, _SPECIAL_CLASS.replace(r"\]", "", 1), call("link_label", "a]]b"), "a]]b",
     "[[Main Page|{}]]")
rule("fast path |", _SPECIAL_CLASS, _SPECIAL_CLASS.replace("|", "", 1), call("cell", "a || b"), "a || b", TABLE)
rule("fast path !", _SPECIAL_CLASS, _SPECIAL_CLASS.replace("!", "", 1), call("cell", "a !! b", True), "a !! b",
     HEADER_TABLE)
for _word in ("RFC", "PMID", "ISBN"):
    _special = r'|RFC|PMID|ISBN")'
    rule(f"fast path {_word}", _special, _special.replace(f"|{_word}", ""), text(f"{_word} 1234567890"),
         f"{_word} 1234567890")

# ------------------------------------------------------------------ line starts

for _c, _w in (("*", "* x"), ("#", "# x"), (":", ": x"), (";", "; x"), ("=", "= x ="), (" ", " x")):
    rule(f"line start {_c!r}", f'"{_c}": "&#{ord(_c)};"', f'"\\x00{_c}": "&#{ord(_c)};"', start(_w), f"a {_w}",
         "a\n{}")
rule("line start ----", 'wikitext.startswith("----")', 'wikitext.startswith("-----")', start("---- x"),
     "a ---- x", "a\n{}")
rule("line start {|", 'wikitext.startswith("{|")', 'wikitext.startswith("{||")', start("{| x"), "a {| x |}",
     "a\n{}\n|}}")

# ------------------------------------------------------------------ URLs of [url label]

_BREAK_CLASS = r'[\[\]<>\"| \t\r\n\x7f])")'
for _c, _w in ((r"\[", "a[b"), (r"\]", "a]b"), ("<", "a<b"), (">", "a>b"), ('\\"', 'a"b'), (" ", "a b"),
               (r"\t", "a\tb"), (r"\r", "a\rb"), (r"\n", "a\nb"), (r"\x7f", "a\x7fb")):
    rule(f"URL break {_c}", _BREAK_CLASS, _BREAK_CLASS.replace(_c, "", 1), call("url", f"https://example.org/{_w}"),
         "label", "[{} label]")
# "|" in a URL: MediaWiki's URLs may hold it, but "|" in a table cell ends the cell.
rule("URL break |", _BREAK_CLASS, _BREAK_CLASS.replace("|", "", 1), call("url", "https://example.org/a|b"),
     "label", TABLE.replace("{}", "[{} label]"))
rule("URL brace", r'r"(?P<brace>\{(?=\{)|(?<=-)\{)|(?P<tilde>~~~)', r'r"(?P<brace>(?<=-)\{)|(?P<tilde>~~~)',
     call("url", "https://example.org/{{PAGENAME}}"), "label", "[{} label]")
rule("URL tilde", r"|(?P<tilde>~~~)|(?P<quote>", r"|(?P<tilde>~~~~~~)|(?P<quote>",
     call("url", "https://example.org/~~~~"), "label", "[{} label]")
rule("URL quote", "|(?P<quote>'(?='))|(?P<under>_(?=_[^\\W_]))\"\n",
     "|(?P<quote>'(?=''))|(?P<under>_(?=_[^\\W_]))\"\n", call("url", "https://example.org/''x''"), "label",
     "[{} label]")
rule("URL under", "(?='))|(?P<under>_(?=_[^\\W_]))\"\n", "(?='))|(?P<under>_(?=___))\"\n",
     call("url", "https://example.org/__NOTOC__"), "label", "[{} label]")
rule("URL entity", r'r"|(?P<entity>&(?=#?\w+;))|(?P<break>', r'r"|(?P<entity>&(?=#\w+;))|(?P<break>',
     call("url", "https://example.org/a&amp;b"), "label", "[{} label]")

# ------------------------------------------------------------------ page titles and <pre>

_TITLE_CLASS = r'_TITLE_ILLEGAL = re.compile(r"[\[\]{}|<>\x00-\x1f\x7f]")'
for _c, _w in ((r"\[", "a[b"), (r"\]", "a]b"), ("{", "a{b"), ("}", "a}b"), ("|", "a|b"), ("<", "a<b"),
               (">", "a>b"), (r"\x00-\x1f", "a\tb"), (r"\x7f", "a\x7fb")):
    rule(f"title illegal {_c}", _TITLE_CLASS, _TITLE_CLASS.replace(_c, "", 1),
         lambda m, w=_w: str(m.page_title(w)), "None", "")
rule("title signature", 'or "~~~" in value', 'or "~~~~~~" in value', lambda m: str(m.page_title("a~~~b")), "None",
     "")
rule("title reference", " or _TITLE_REFERENCE.search(value):", ":", lambda m: str(m.page_title("AT&amp;T")),
     "None", "")
rule("title under", "|(?P<under>_(?=_[^\\W_]))\")\n", "|(?P<under>_(?=___))\")\n",
     call("page_title", "Main __NOTOC__ Page"), "label", "[[{}|label]]")
guard("title quote", "_TITLE_SPECIAL = re.compile(r\"(?P<quote>'(?='))",
      "_TITLE_SPECIAL = re.compile(r\"(?P<quote>'(?=''))", call("page_title", "Main ''Page''"), "label",
      "[[{}|label]]", "MediaWiki hides a link's target from the quote pass: escaped for a reader that does not")
rule("pre tag", r'_PRE = re.compile(r"(?P<tag><)', r'_PRE = re.compile(r"(?P<tag><(?=!))',
     call("preformatted", "a</pre>b"), "a</pre>b", "<pre>{}</pre>")
rule("pre entity", r'|(?P<entity>&(?=#?\w+;))|(?P<tilde>~~~)")', r'|(?P<entity>&(?=#\w+;))|(?P<tilde>~~~)")',
     call("preformatted", "a &amp; b"), "a &amp; b", "<pre>{}</pre>")
guard("pre tilde", r'|(?P<tilde>~~~)")', r'|(?P<tilde>~~~~~~)")', call("preformatted", "sign ~~~~"), "sign ~~~~",
      "<pre>{}</pre>", "MediaWiki's pre-save transform leaves <pre> alone: escaped for a tool that does not")


# Plain ids: mutmut selects tests by node id on pytest's command line, where "[", "\\" and spaces do not pass.
@pytest.mark.parametrize("mutation", MUTATIONS, ids=[f"{n:03d}-" + re.sub(r"\W+", "-", m.name).strip("-")
                                                     for n, m in enumerate(MUTATIONS)])
def test_each_table_entry_changes_its_witness(mutation: Mutation) -> None:
    original, changed = mutation.witness(wikiescape), mutation.witness(mutated(mutation))
    assert original != changed
    if not mutation.rule:
        assert original == mutation.reads
    if not mutation.frame:  # a title no wikilink can name
        assert original == mutation.reads


def test_mwparserfromhell_misreads_what_only_it_misreads() -> None:
    for m in MUTATIONS:
        if m.reader == "mwparserfromhell":
            def links(wikitext: str) -> list[str]:
                parsed = mwparserfromhell.parse(m.frame.format(wikitext), skip_style_tags=False)
                return [str(n) for n in parsed.filter(forcetype=ExternalLink)]
            assert links(m.witness(wikiescape)) == [], m.name
            assert links(m.witness(mutated(m))) != [], m.name


def test_the_copy_without_a_mutation_escapes_as_the_module() -> None:
    copy = mutated(Mutation("none", "PROTOCOLS = (", "PROTOCOLS = (", text(""), "{}", ""))
    for m in MUTATIONS:
        assert m.witness(copy) == m.witness(wikiescape), m.name


def test_the_listed_spaces_are_spaces_to_python() -> None:
    # MediaWiki's magic links and URLs stop at \s and \p{Zs}: the tables name \p{Zs} for the reader, not for re.
    listed = "\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u202f\u205f\u3000"
    assert all(c.isspace() for c in listed)
    assert wikiescape._SPACES == wikiescape._URL_CHAR.replace("^", "", 1) == (
        "[\\s\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")


@pytest.mark.mediawiki
def test_each_rule_is_needed_and_each_exception_is_safe_on_the_wiki(mediawiki: LocalWiki) -> None:  # noqa: F811
    framed = [m for m in MUTATIONS if m.frame]
    proved = [m for m in framed if m.rule and not m.guard and m.reader == "MediaWiki"]
    html = mediawiki.parse_many([m.frame.format(m.witness(wikiescape)) for m in framed]
                                + [m.frame.format(m.witness(mutated(m))) for m in proved])
    originals = dict(zip([m.name for m in framed], map(read_html, html)))
    wrong = []
    for m in framed:
        reading = originals[m.name]
        if reading.text != " ".join(m.reads.split()) or (m.frame == "{}" and reading.links):
            wrong.append(f"{m.name}: the original reads {reading.text!r} {reading.links}, not {m.reads!r}")
    for m, page in zip(proved, html[len(framed):]):
        reading, original = read_html(page), originals[m.name]
        if (reading.text, reading.links, reading.shape) == (original.text, original.links, original.shape):
            wrong.append(f"{m.name}: not needed, the wiki reads the mutated copy's {m.witness(mutated(m))!r} "
                         f"as {reading.text!r} too")
    assert wrong == [], "\n".join(wrong)
