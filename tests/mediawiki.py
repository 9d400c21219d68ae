"""A throw-away MediaWiki for the tests (../shared/tools/mediawiki-local.sh), and how to read its HTML.

One wiki per test session, in a temporary folder on a free 127.0.0.1 port, started the first
time a test asks for it and stopped when the session ends. Test modules import the fixture:
`from mediawiki import mediawiki  # noqa: F401`; every module that does shares the same wiki.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import requests
from conftest import ROOT, need

SCRIPT = Path(os.environ.get("CLINICS_MEDIAWIKI_SCRIPT", ROOT.parent / "shared" / "tools" / "mediawiki-local.sh"))
MEDIAWIKI = Path("/usr/share/mediawiki/maintenance/install.php")
# Meta-Wiki links "RFC 1234", "ISBN …" and "PMID …" by themselves; MediaWiki 1.39 no longer does by default.
EXTRA_SETTINGS = '\n$wgEnableMagicLinks = [ "ISBN" => true, "PMID" => true, "RFC" => true ];\n'
SEPARATOR = '<div id="clinics-case-{n}"></div>'


@dataclass
class Rendered:
    """What MediaWiki made of some wikitext: the HTML of the parser output, and the categories."""

    html: str
    categories: tuple[str, ...] = ()


@dataclass
class LocalWiki:
    """A running local wiki: its API, its accounts, and a session for the tests' own requests."""

    folder: Path
    api_url: str
    bot_user: str
    bot_password: str
    session: requests.Session = field(default_factory=requests.Session)
    _token: str = ""
    _people: dict[str, LocalWiki] = field(default_factory=dict)

    def api(self, method: str = "GET", **params: str) -> dict:
        params = {"format": "json", "formatversion": "2", **params}
        answer = self.session.request(method, self.api_url, timeout=60,
                                      **({"data": params} if method == "POST" else {"params": params})).json()
        assert "error" not in answer, answer
        return answer

    def parse(self, wikitext: str, title: str = "Wikimedia Clinics/001") -> Rendered:
        """Return what MediaWiki renders of `wikitext` as it would be saved (pre-save transform included)."""
        parsed = self.api("POST", action="parse", text=wikitext, title=title, contentmodel="wikitext", pst="1",
                          prop="text|categories", disablelimitreport="1", disableeditsection="1")["parse"]
        return Rendered(parsed["text"], tuple(c["category"] for c in parsed.get("categories", [])))

    def parse_many(self, texts: Sequence[str]) -> list[str]:
        """Return the HTML of each wikitext, parsed in one request; alone when one breaks out of its place."""
        joined = "\n\n".join(f"{SEPARATOR.format(n=n)}\n\n{text}" for n, text in enumerate(texts))
        html = self.parse(joined + "\n\n" + SEPARATOR.format(n=len(texts))).html
        pieces = re.split(r'<div id="clinics-case-\d+"></div>', html)
        if len(pieces) == len(texts) + 2:
            return pieces[1:-1]
        return [self.parse(text).html for text in texts]  # a case swallowed a separator: find which

    def login(self) -> None:
        token = self.api(action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
        result = self.api("POST", action="login", lgname=self.bot_user, lgpassword=self.bot_password,
                          lgtoken=token)["login"]
        assert result["result"] == "Success", result
        self._token = self.api(action="query", meta="tokens")["query"]["tokens"]["csrftoken"]

    def edit(self, title: str, text: str, summary: str = "a person's edit") -> int:
        """Save `text` as `title` (as a person would) and return the new revision id."""
        if not self._token:
            self.login()
        return self.api("POST", action="edit", title=title, text=text, summary=summary,
                        token=self._token)["edit"].get("newrevid", 0)

    def current(self, title: str) -> tuple[int, str] | None:
        """Return the current revision id and text of `title`, or None when there is no such page."""
        page = self.api(action="query", prop="revisions", rvprop="ids|content", rvslots="main",
                        titles=title)["query"]["pages"][0]
        if page.get("missing"):
            return None
        revision = page["revisions"][0]
        return revision["revid"], revision["slots"]["main"]["content"]


    def person(self, name: str = "Person") -> LocalWiki:
        """Return the wiki as `name` sees it: an ordinary user, not the bot, created on first use."""
        if name not in self._people:
            password = secrets.token_hex(16)  # bot passwords must be 32 or more of [0-9a-w]
            settings = {**os.environ, "MW_CONFIG_FILE": str(self.folder / "LocalSettings.php")}
            for script, *args in (("createAndPromote.php", name, secrets.token_hex(16)),
                                  ("createBotPassword.php", "--appid", "tests", "--grants",
                                   "basic,editpage,createeditmovepage", name, password)):
                made = subprocess.run(["php", str(MEDIAWIKI.parent / script), *args], env=settings,
                                      capture_output=True, text=True, timeout=120)
                assert made.returncode == 0, made.stdout + made.stderr
            self._people[name] = LocalWiki(self.folder, self.api_url, f"{name}@tests", password)
        return self._people[name]

    def history(self, title: str) -> list[dict]:
        """Return the revisions of `title`, newest first: revid, user, comment."""
        page = self.api(action="query", prop="revisions", rvprop="ids|user|comment", rvlimit="max",
                        titles=title)["query"]["pages"][0]
        return page.get("revisions", [])

    def move(self, title: str, to: str, reason: str) -> None:
        """Move `title` to `to` without leaving a redirect (as the wiki's administrator)."""
        if not self._token:
            self.login()
        self.api("POST", action="move", reason=reason, noredirect="1", token=self._token, **{"from": title, "to": to})

    def grant_bot_password(self, app: str, grants: str) -> tuple[str, str]:
        """Return the user and a new bot password of the administrator's with only `grants` (comma-separated)."""
        password = secrets.token_hex(16)
        name = self.bot_user.partition("@")[0]
        made = subprocess.run(["php", str(MEDIAWIKI.parent / "createBotPassword.php"), "--appid", app, "--grants",
                               grants, name, password], capture_output=True, text=True, timeout=120,
                              env={**os.environ, "MW_CONFIG_FILE": str(self.folder / "LocalSettings.php")})
        assert made.returncode == 0, made.stdout + made.stderr
        return f"{name}@{app}", password

    def delete(self, title: str, reason: str) -> None:
        """Delete `title` (as the wiki's administrator)."""
        if not self._token:
            self.login()
        self.api("POST", action="delete", title=title, reason=reason, token=self._token)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _credentials(output: str) -> dict[str, str]:
    return {m[1]: m[2] for m in re.finditer(r"^(MW_[A-Z_]+)='([^']*)'$", output, re.MULTILINE)}


_running: list[LocalWiki] = []  # the session's wiki, shared by every module that imports the fixture


@pytest.fixture(scope="session")
def mediawiki(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> LocalWiki:
    """Return the session's MediaWiki, started on first use; skip (fail in CI) where PHP or MediaWiki are missing."""
    need(SCRIPT.exists(), f"{SCRIPT} is missing")
    need(shutil.which("php") is not None and MEDIAWIKI.exists(),
         f"PHP or MediaWiki is missing: run 'sudo bash {SCRIPT} install'")
    if not _running:
        _running.append(_start(tmp_path_factory.mktemp("mediawiki")))
        request.config.add_cleanup(_stop)
    return _running[0]


def _start(folder: Path) -> LocalWiki:
    started = subprocess.run(["bash", str(SCRIPT), "start", str(folder), str(_free_port())],
                             capture_output=True, text=True, timeout=120)
    if started.returncode != 0:
        subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, timeout=60)
        pytest.fail(f"mediawiki-local.sh start failed:\n{started.stderr}")
    with open(folder / "LocalSettings.php", "a", encoding="utf-8") as settings:
        settings.write(EXTRA_SETTINGS)
    found = _credentials(started.stdout)
    return LocalWiki(folder, found["MW_API_URL"], found["MW_BOT_USER"], found["MW_BOT_PASSWORD"])


def _stop() -> None:
    wiki = _running.pop()
    subprocess.run(["bash", str(SCRIPT), "stop", str(wiki.folder)], capture_output=True, timeout=60)


# ------------------------------------------------------------------ reading HTML as a reader sees it

_BLOCKS = frozenset("address blockquote br dd div dl dt h1 h2 h3 h4 h5 h6 hr li ol p pre table tbody td th thead "
                    "tr ul".split())
_VOID = frozenset("area base br col embed hr img input link meta source track wbr".split())
_SPACES = re.compile(r"[\s\u00a0\u202f\u2007]+")
# The structure both renderings must share, counted (MediaWiki writes emphasis as <i> and <b>).
_SHAPE = frozenset("blockquote code em h2 h3 h4 h5 h6 hr li pre strong table td th tr ul".split())
_SAME = {"i": "em", "b": "strong"}
_STYLES = frozenset({"em", "strong"})


class _Reader(HTMLParser):
    """Collects the visible text and the link targets of an HTML fragment, as a browser shows them."""

    def __init__(self, skip_tags: Sequence[str] = (), skip_classes: Sequence[str] = ()) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.links: list[tuple[str, int]] = []  # target, and where its label starts in self.text
        self.labels: list[str] = []
        self._skip: list[str] = []  # open elements whose content is hidden (a table of contents, style)
        self.skip_tags = {"style", "script", "head", "title", *skip_tags}
        self.shape: Counter[str] = Counter()
        self._open: Counter[str] = Counter()  # elements open around the current position
        self.skip_classes = {"mw-editsection", *skip_classes}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if self._skip:
            if tag not in _VOID:
                self._skip.append(tag)
            return
        if found.get("id") == "toc" or self.skip_classes.intersection(classes) or tag in self.skip_tags:
            if tag not in _VOID:
                self._skip.append(tag)
            return
        if tag in _BLOCKS:
            self.text.append(" ")
        self._count(tag, found)
        if tag == "a" and found.get("href"):
            self.links.append((found["href"] or "", len(self.text)))

    def _count(self, tag: str, attrs: dict[str, str | None]) -> None:
        name = _SAME.get(tag, tag)
        self._open[name] += 1
        if name == "ol":
            self.shape[f"ol start={attrs.get('start') or '1'}"] += 1
        elif name in _STYLES and self._open[name] > 1 or name == "code" and self._open["pre"]:
            return  # italic inside italic is italic; code inside <pre> is the preformatted block
        elif name in _SHAPE:
            self.shape[name] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._skip:
            if tag not in _VOID:
                self._skip.pop()
            return
        if tag not in _VOID:
            self._open[_SAME.get(tag, tag)] -= 1
        if tag == "a" and len(self.labels) < len(self.links):
            self.labels.append(_collapse("".join(self.text[self.links[-1][1]:])))
        if tag in _BLOCKS:
            self.text.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.text.append(data)


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


@dataclass(frozen=True)
class Reading:
    """What a reader finds in some HTML: the text, the links (target, label), the structure's counts."""

    text: str
    links: list[tuple[str, str]]
    shape: dict[str, int]


def read_html(html: str, skip_tags: Sequence[str] = (), skip_classes: Sequence[str] = ()) -> Reading:
    """Return the visible text of `html` (whitespace collapsed), its links in order, and its shape.

    Elements with a tag in `skip_tags` or a class in `skip_classes` are left out, with their content.
    """
    reader = _Reader(skip_tags, skip_classes)
    reader.feed(html)
    reader.close()
    return Reading(_collapse("".join(reader.text)),
                   [(href, label) for (href, _), label in zip(reader.links, reader.labels)], dict(reader.shape))


def normal_url(href: str, base_url: str, interwiki: dict[str, str]) -> str:
    """Return a link target as the archive's wiki would have it, percent-decoded.

    The local wiki links its own pages as /wiki/Title or /w/index.php?title=Title (red links),
    which on Meta are base_url + Title; and it resolves "w:es:Title" through en.wikipedia.org.
    """
    parts = urlsplit(href)
    if not parts.scheme and parts.path.startswith("/wiki/"):
        href = base_url + parts.path.removeprefix("/wiki/") + (f"#{parts.fragment}" if parts.fragment else "")
    elif not parts.scheme and parts.path.startswith("/w/index.php"):
        href = base_url + parse_qs(parts.query)["title"][0]
    for prefix, target in interwiki.items():
        head, _, language = prefix.partition(":")
        if language and head in interwiki:
            via = interwiki[head].replace("$1", f"{language}:")
            if unquote(href).startswith(via):
                href = target.replace("$1", unquote(href).removeprefix(via))
    return unquote(href).replace(" ", "_")
