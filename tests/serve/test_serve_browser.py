"""The preview in a real browser: every save shows, a broken save shows its error, a fix brings the preview back.

Each step waits for the page itself to show the new state (a MutationObserver resolves a promise in
the page), with a generous upper bound; nothing here measures how fast (that is `make bench`).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.chromium import Browser

from preview import Server, browser, served  # noqa: F401 - the fixtures

pytestmark = pytest.mark.chromium
WAIT_S = 60

# Resolves when `test(document)` is true, checking at once and after every change to the page.
WHEN = """new Promise(resolve => {
  const test = () => { try { return (%s)(document); } catch (e) { return false; } };
  if (test()) return resolve(true);
  const observer = new MutationObserver(() => { if (test()) { observer.disconnect(); resolve(true); } });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})"""


def _when(browser: Browser, tab: str, test: str) -> int:
    """Start waiting in the page until `test` (a JavaScript function of the document) holds."""
    return browser.send_evaluate(tab, WHEN % test)


def _text_has(words: str) -> str:
    return f"d => (d.getElementById('text') || {{}}).textContent?.includes({json.dumps(words)})"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _open(browser: Browser, url: str) -> str:
    tab = browser.tab()
    browser.visit(tab, url)
    # The page listens for changes once its EventSource says hello: wait for that, so that no save is
    # made before the page can hear of it (one made earlier would be shown too, by the hello itself).
    assert browser.evaluate(tab, "new Promise(r => { const s = new EventSource('/events'); "
                                 "s.addEventListener('hello', () => { s.close(); r(true); }); })", WAIT_S)
    return tab


def test_a_save_shows_an_error_shows_a_fix_shows(served: Server, browser: Browser) -> None:
    tab = _open(browser, served.url + "/digest/001")
    assert browser.evaluate(tab, f"({_text_has('Universal Code of Conduct')})(document)")
    digest = served.digests / "001.md"

    waiting = _when(browser, tab, _text_has("Presenting the subject"))
    _edit(digest, "### Presenting the topic", "### Presenting the subject")
    assert browser.value(waiting, WAIT_S) is True
    wiki = browser.evaluate(tab, "document.getElementById('wiki').textContent")
    assert "=== Presenting the subject ===" in wiki
    email = browser.evaluate(tab, "fetch(document.getElementById('html').src).then(r => r.text())")
    assert "Presenting the subject" in email and "Presenting the topic" not in email

    waiting = _when(browser, tab, "d => d.querySelector('.problems .message')?.textContent.includes('Quary')"
                                  " && !d.getElementById('text')")
    _edit(digest, "[Dutch Wikipedia][]", "[Quary][]")
    assert browser.value(waiting, WAIT_S) is True
    shown = browser.evaluate(tab, "[...document.querySelectorAll('.problems li')].map(li => li.textContent)")
    error = next(text for text in shown if "unknown-ref" in text)
    assert "digests/001.md:11:" in error
    assert "hint: did you mean 'quarry'?" in error
    assert "A volunteer from the [Quary][] community" in error  # the line, quoted
    quoted = browser.evaluate(tab, "document.querySelector('.problems li.error pre.quote').textContent")
    line, caret = quoted.split("\n")
    assert line.startswith("A volunteer from the [Quary][] community")
    assert caret == " " * line.index("[Quary]") + "^"  # under the column the diagnostic names
    assert browser.evaluate(tab, "document.getElementById('html')") is None  # no preview while it has errors

    waiting = _when(browser, tab, _text_has("Dutch Wikipedia"))
    _edit(digest, "[Quary][]", "[Dutch Wikipedia][]")
    assert browser.value(waiting, WAIT_S) is True
    assert browser.evaluate(tab, "document.querySelector('.problems')") is None


def test_a_schedule_edit_reloads_the_html_email(served: Server, browser: Browser) -> None:
    """The schedule is in every digest's "Upcoming calls": its edit brings a new HTML email into the page."""
    tab = _open(browser, served.url + "/digest/001")
    assert "wikimedia-l" in browser.evaluate(tab, "document.getElementById('letters').textContent")
    src = browser.evaluate(tab, "document.getElementById('html').getAttribute('src')")
    assert src.startswith("/digest/001/email/001.html?g=")
    waiting = _when(browser, tab, "d => d.getElementById('html') && "
                                  "d.getElementById('html').getAttribute('src') !== " + json.dumps(src))
    _edit(served.digests / "schedule.yaml", "Abstract Wikipedia", "Abstract Wikipedia and Wikifunctions")
    assert browser.value(waiting, WAIT_S) is True


def test_the_index_follows_new_files_and_their_errors(served: Server, browser: Browser) -> None:
    tab = _open(browser, served.url + "/")
    assert browser.evaluate(tab, "document.querySelectorAll('#digests tr').length") == 11
    waiting = _when(browser, tab, "d => d.querySelector('#digests a[href=\"/digest/013\"]') && "
                                  "d.querySelector('.problems')?.textContent.includes('digests/013.md')")
    (served.digests / "013.md").write_text("---\nnumber: 13\ndate: 2020-13-01\n---\n## A topic\n", encoding="utf-8")
    assert browser.value(waiting, WAIT_S) is True
    row = browser.evaluate(tab, "document.querySelector('#digests a[href=\"/digest/013\"]').closest('tr').textContent")
    assert "013.md" in row
    waiting = _when(browser, tab, "d => !d.querySelector('#digests a[href=\"/digest/013\"]')")
    (served.digests / "013.md").unlink()
    assert browser.value(waiting, WAIT_S) is True


def test_user_text_is_text_on_every_page(served: Server, browser: Browser) -> None:
    """A tag typed in a digest or a file name is shown as typed, never run: the page's own script is all."""
    digest = served.digests / "001.md"
    tab = _open(browser, served.url + "/digest/001")
    waiting = _when(browser, tab, "d => d.querySelector('.problems')?.textContent.includes('<img src=x onerror')")
    _edit(digest, "### Presenting the topic", "### Presenting <img src=x onerror=alert(1)> [<script>x</script>][]")
    assert browser.value(waiting, WAIT_S) is True
    assert browser.evaluate(tab, "document.querySelectorAll('main img, main script').length") == 0
