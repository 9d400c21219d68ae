"""The adapters' contracts: each gives what its library gives unpatched, in a process of its own.

pipeline/adapters/ is the only code that uses a dependency's undocumented members. For each
adapter, a worker process that imports the library and nothing of ours answers the same
questions (the example archive, a synthetic archive, and hypothesis's inputs); the answers must
be equal, and the adapter's fast path must be the one in use with the locked versions: a library
whose internals changed makes the adapter fall back, and these tests fail, so an upgrade is
noticed. The fallbacks themselves are tried with an internal broken on purpose.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench.corpus import write_corpus
from conftest import DIGESTS, ROOT, TEMPLATES, digest_text, run_cli
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.adapters import markdown as markdown_adapter, premailer as premailer_adapter
from pipeline.check.archive import load_archive
from pipeline.read.source import load_source
from pipeline.render.document import document
from pipeline.render.email import html as email_html
from pipeline.render.email.mime import compose

# Imports each library stock, none of the project, and answers one JSON question per line.
WORKER = """
import json, sys
import markdown, premailer
stock_md = markdown.Markdown()
for line in sys.stdin:
    question = json.loads(line)
    if question["library"] == "markdown":
        answer = stock_md.reset().convert(question["text"])
    else:
        inliner = premailer.Premailer(css_text=[question["css"]], **question["options"])
        answer = str(inliner.transform(question["html"], pretty_print=False)) + "\\n"
    print(json.dumps(answer), flush=True)
"""


class Stock:
    """A process running the unpatched libraries."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, encoding="utf-8", cwd="/")
        assert "pipeline" not in WORKER

    def ask(self, **question: object) -> str:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write(json.dumps(question) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> None:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.proc.stdout.close()


@pytest.fixture(scope="module")
def stock() -> Iterator[Stock]:
    worker = Stock()
    yield worker
    worker.close()


# Python-Markdown: the linear link and code-span scans.

def linear_markdown():
    import markdown

    md = markdown.Markdown()
    md.inlinePatterns.register(markdown_adapter.LinearBackticks(markdown.inlinepatterns.BACKTICK_RE, md),
                               "backtick", 190)
    md.inlinePatterns.register(markdown_adapter.LinearLinks(markdown.inlinepatterns.LINK_RE, md), "link", 160)
    return md


def test_the_linear_scans_are_in_use_with_the_locked_markdown() -> None:
    assert markdown_adapter.LINEAR, "the Python-Markdown adapter fell back: its internals changed"
    assert markdown_adapter.LinkScans is markdown_adapter.LinearLinks


def test_markdown_with_linear_scans_converts_the_archives_as_stock(stock: Stock, tmp_path: Path) -> None:
    md = linear_markdown()
    files = sorted(DIGESTS.glob("*.md")) + sorted(write_corpus(tmp_path / "corpus", 20).glob("*.md"))
    for path in files:
        source, _ = load_source(path, path.name)
        assert md.reset().convert(source.body) == stock.ask(library="markdown", text=source.body), path.name


PIECES = ["[", "]", "(", ")", "`", "``", "```", "\\", "'", '"', "<", ">", "!", "a", "b c", " ", "\n", "x" * 320,
          "[a](b)", "[a][b]", "`c`", "(https://a.org)", "*", "_"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=2), max_size=30).map("".join))
@example("[a [b] c](x) `code` and ``two`ticks`` and [unclosed (here")
@example("``a` b` [x](y 'z') " + "[" * 50)
def test_markdown_with_linear_scans_converts_any_text_as_stock(stock: Stock, text: str) -> None:
    assert linear_markdown().convert(text) == stock.ask(library="markdown", text=text)


# The fallback, with an internal of another shape, as Markdown 3.11.0 to 3.11.2's find_code_spans
# was: here a library whose find_code_spans answers -1, not None, for a span that never closes, and
# whose handleMatch reads that. The adapter must notice, say so once, and give that library's answer.
BROKEN_MARKDOWN = """
import xml.etree.ElementTree as etree
import markdown.inlinepatterns as patterns
from markdown import util
P = patterns.BacktickInlineProcessor
old_find = P.find_code_spans
def find_code_spans(self, start, text):
    begin, end = old_find(self, start, text)
    return begin, -1 if end is None else end
def handleMatch(self, m, data):
    if m.group(1):
        return m.group(1).replace("\\\\", self.ESCAPED_BSLASH), m.start(0), m.end(0)
    begin = m.start(0)
    start, end = self.find_code_spans(begin, data)
    if end != -1:
        el = etree.Element(self.tag)
        el.text = util.AtomicString(util.code_escape(data[start:end].strip()))
        return el, begin, end + (start - begin)
    return None, begin, start
P.find_code_spans, P.handleMatch = find_code_spans, handleMatch
from pipeline.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def run_with(prelude: str, *args: str | Path) -> subprocess.CompletedProcess[str]:
    script = "import sys\n" + prelude
    return subprocess.run([sys.executable, "-c", script, *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)


def test_changed_markdown_internals_fall_back_to_the_stock_processors(tmp_path: Path, scratch: Path) -> None:
    import markdown.inlinepatterns

    if not hasattr(markdown.inlinepatterns.BacktickInlineProcessor, "find_code_spans"):
        pytest.skip("this Python-Markdown (before 3.11) has no find_code_spans whose answers could change")
    (scratch / "001.md").write_text(digest_text(1, "", "## Code\n\n* Volunteer:\n    * ``a` b` and `c` and "
                                               "[a link](https://example.org) and [x][quarry].\n"), encoding="utf-8")
    proc = run_with(BROKEN_MARKDOWN, "build", "--digests", scratch, "--out", tmp_path / "broken", "--today",
                    "2026-01-01")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.split("\n") if line.startswith("clinics: note: Python-Markdown")]
    assert len(notes) == 1 and "public behaviour" in notes[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert run_cli("build", "--digests", scratch, "--out", tmp_path / "ours", "--today", "2026-01-01").status == 0
    for name in ("email/001.txt", "email/001.html", "wiki/001.wiki"):
        assert (tmp_path / "broken" / name).read_bytes() == (tmp_path / "ours" / name).read_bytes(), name


# premailer: the stylesheet's rules parsed once, the per-style attributes kept.

def test_the_fast_inliner_is_in_use_with_the_locked_premailer() -> None:
    assert isinstance(email_html.inliner_for(), premailer_adapter.Inliner), "the premailer adapter fell back"


def test_the_inliner_gives_what_premailer_gives_for_every_email(stock: Stock) -> None:
    archive = load_archive(DIGESTS, TEMPLATES, None)
    css = email_html.stylesheet()
    inliner = premailer_adapter.inliner(css)
    pages = [email_html._template().render(email=email_html.view(compose(archive, document(archive, digest))))
             for digest in archive.digests]
    assert len(pages) >= 10
    for page in [*pages, premailer_adapter.PROBE]:
        assert inliner.inline(page) == stock.ask(library="premailer", css=css, html=page,
                                                 options=premailer_adapter.OPTIONS)


ELEMENTS = ["h1", "h2", "h3", "p", "ul", "ol", "li", "blockquote", "pre", "code", "a", "table", "td", "th", "hr"]
CLASSES = ["", "preheader", "wrapper", "dateline", "signature", "footer", "unknown"]


@st.composite
def fragments(draw: st.DrawFn, depth: int = 0) -> str:
    """An HTML fragment of the elements and classes the stylesheet knows, with inline styles."""
    parts = []
    for _ in range(draw(st.integers(0, 3))):
        tag, cls = draw(st.sampled_from(ELEMENTS)), draw(st.sampled_from(CLASSES))
        style = draw(st.sampled_from(["", "color:#123456", "text-align:center", "width:50%", "background:#fff"]))
        attrs = (f' class="{cls}"' if cls else "") + (f' style="{style}"' if style else "")
        inner = draw(fragments(depth + 1)) if depth < 2 else ""
        parts.append(f"<{tag}{attrs}>{draw(st.sampled_from(['x', 'é', '&amp;', '']))}{inner}</{tag}>")
    return "".join(parts)


@settings(max_examples=150, deadline=None)
@given(fragments())
def test_the_inliner_gives_what_premailer_gives_for_any_message(stock: Stock, body: str) -> None:
    css = email_html.stylesheet()
    page = f"<html><head></head><body>{body}</body></html>"
    assert premailer_adapter.inliner(css).inline(page) == stock.ask(
        library="premailer", css=css, html=page, options=premailer_adapter.OPTIONS)


def test_premailer_loads_without_requests_until_it_is_used() -> None:
    script = """
import sys
import pipeline.render.email.html
assert "requests" not in sys.modules, "requests loaded with premailer"
import premailer.premailer as p
assert p.requests.Session is not None  # the stand-in loads the real module on first use
assert "requests" in sys.modules and sys.modules["requests"].Session is p.requests.Session
"""
    proc = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


# A premailer whose private _parse_style_rules has another name, its own code calling the new one.
BROKEN_PREMAILER = """
import premailer.premailer as p
P = p.Premailer
P._read_style_rules = P._parse_style_rules
del P._parse_style_rules
old = P._process_css_text
def _process_css_text(self, css_text, index, rules, head):
    self._parse_style_rules = self._read_style_rules
    try:
        return old(self, css_text, index, rules, head)
    finally:
        del self._parse_style_rules
P._process_css_text = _process_css_text
from pipeline.cli import main
raise SystemExit(main(sys.argv[1:]))
"""


def test_changed_premailer_internals_fall_back_to_its_public_api(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "corpus", 20)  # enough digests for two workers: still one note
    proc = run_with(BROKEN_PREMAILER, "build", "--digests", corpus, "--out", tmp_path / "broken", "--today",
                    "2026-01-01", "--jobs", "2")
    assert proc.returncode == 0, proc.stderr
    notes = [line for line in proc.stderr.split("\n") if line.startswith("clinics: note: premailer")]
    assert len(notes) == 1 and "_parse_style_rules" in notes[0], proc.stderr
    assert run_cli("build", "--digests", corpus, "--out", tmp_path / "ours", "--today", "2026-01-01").status == 0
    emails = sorted((tmp_path / "ours" / "email").glob("*.html"))
    assert len(emails) >= 10
    for path in emails:
        assert (tmp_path / "broken" / "email" / path.name).read_bytes() == path.read_bytes(), path.name
