"""A small client of the MediaWiki Action API: read current revisions, log in with a bot password, edit.

It follows Wikimedia's API etiquette: one request at a time, a descriptive User-Agent,
maxlag on every request, and a wait of Retry-After seconds when the wiki says it is lagged
or busy. Every edit names the revision it replaces (baserevid and starttimestamp;
createonly for a new page), so a page changed meanwhile comes back as an edit conflict
instead of being overwritten. basetimestamp is left out on purpose: with it, MediaWiki
lets an edit replace the edits its own user made meanwhile without a conflict.
MediaWiki may still merge an edit with one made meanwhile when the two change different
lines: `Saved.replaced` then names a revision other than the one the edit was based on.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from pipeline.model.diagnostics import ClinicsError
from pipeline.model.settings import Site, address_of, wiki_url


MAXLAG = 5  # seconds of replication lag at which Wikimedia asks bots to wait
RETRIES = 5
TIMEOUT = (10, 60)  # seconds to connect, to read
BATCH = 50  # titles per query, the API's limit for ordinary accounts
HISTORY = 50  # edits of one page listed when someone else edited it
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
# The rights publishing needs, and the grant of Special:BotPasswords that gives each (its label there, its name).
GRANTS = {"edit": ("Edit existing pages", "editpage"), "createpage": ("Create, edit, and move pages",
                                                                     "createeditmovepage")}


class WikiError(ClinicsError):
    """The wiki could not be reached, did not answer as an API, or stayed lagged."""


class ApiError(ClinicsError):
    """An error answer of the Action API: its code and message."""

    def __init__(self, code: str, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info

    def explain(self) -> str:
        """Return the error as a reader should see it."""
        if self.code == "editconflict":
            return "edit conflict: someone changed the page since it was read; nothing was overwritten"
        if self.code == "articleexists":
            return "someone created the page since it was read; nothing was overwritten"
        return f"the wiki refused the edit ({self.code}): {self.info}"


@dataclass(frozen=True)
class Revision:
    """A page's current revision on the wiki (exists=False: there is no such page)."""

    title: str
    exists: bool
    text: str = ""
    revid: int = 0
    timestamp: str = ""
    user: str = ""
    comment: str = ""
    read_at: str = ""  # the wiki's clock when the revision was read: the edit's starttimestamp


@dataclass(frozen=True)
class Event:
    """One entry of a page's history: an edit (revid > 0), or its deletion (kind "delete")."""

    revid: int
    user: str
    timestamp: str
    comment: str
    kind: str = "edit"  # "edit", "delete" or "move"
    target: str = ""  # a move: the title the page was moved to


@dataclass(frozen=True)
class Saved:
    """The revision an edit made (and the one it replaced), or the one it left in place (unchanged)."""

    revid: int
    timestamp: str
    unchanged: bool = False
    replaced: int = 0  # the revision that was current when the wiki saved the edit; 0 for a new page


class Api:
    """One session with the Action API of one wiki."""

    def __init__(self, url: str, user_agent: str, session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep, retries: int = RETRIES) -> None:
        self.url = url
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self.sleep = sleep
        self.retries = retries
        self._csrf = ""

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Return the API's answer to `params`; waits and retries while the wiki is lagged or busy."""
        params = {"format": "json", "formatversion": "2", "maxlag": MAXLAG, **params}
        for attempt in range(self.retries + 1):
            try:
                posted = method == "POST"
                response = self.session.request(method, self.url, timeout=TIMEOUT, data=params if posted else None,
                                                params=None if posted else params)
            except requests.RequestException as exc:
                raise WikiError(f"cannot reach {self.url}: {exc}", "check --api-url and the network") from exc
            if response.status_code not in (429, 503):
                answer = _json(response)
                code = (answer.get("error") or {}).get("code", "")
                if code and code != "maxlag":
                    raise ApiError(code, answer["error"].get("info", ""))
                if not code and response.status_code >= 400:
                    raise WikiError(f"{self.url} answered HTTP {response.status_code}")
                if not code:
                    return answer
            if attempt < self.retries:
                self.sleep(_retry_after(response))
        raise WikiError(f"the wiki stayed lagged or busy after {self.retries} retries",
                        "try again later; publishing can be re-run and does the rest")

    def login(self, user: str, password: str) -> None:
        """Log in with a bot password (Special:BotPasswords): `user` is "Name@app"."""
        token = self.call("GET", action="query", meta="tokens", type="login")["query"]["tokens"]["logintoken"]
        result = self.call("POST", action="login", lgname=user, lgpassword=password, lgtoken=token)["login"]
        if result.get("result") != "Success":
            raise WikiError(f"the wiki refused the login of '{user}': {result.get('reason', result.get('result'))}",
                            "check the user (Name@app) and its bot password in Special:BotPasswords")

    def check_rights(self, user: str, needed: Sequence[str]) -> None:
        """Raise WikiError naming the grant a logged-in bot password lacks for any of the rights `needed`.

        Without it, the first edit fails with MediaWiki's own message ("limited to users in the group:
        [[…|Users]]"), which names neither the grant nor where to give it.
        """
        rights = self.call("GET", action="query", meta="userinfo", uiprop="rights")["query"]["userinfo"]
        missing = [right for right in needed if right not in rights.get("rights", [])]
        if not missing:
            return
        labels = " and ".join(f"'{GRANTS[right][0]}' ({GRANTS[right][1]})" for right in missing)
        rights_text = " and ".join(f"'{right}'" for right in missing)
        name, _, app = user.partition("@")
        raise WikiError(f"'{user}' is logged in but may not {'create or ' if 'createpage' in missing else ''}edit "
                        f"pages: it lacks the right{'s' if len(missing) > 1 else ''} {rights_text}",
                        f"on the wiki, open Special:BotPasswords/{app or '…'} as {name} and tick {labels}; "
                        "nothing was changed")

    def revisions(self, titles: Sequence[str]) -> dict[str, Revision]:
        """Return the current revision of each of `titles` (exists=False for a missing page)."""
        found: dict[str, Revision] = {}
        for start in range(0, len(titles), BATCH):
            for revision in self._batch(titles[start:start + BATCH]):
                found[revision.title] = revision
        return found

    def _batch(self, titles: Sequence[str]) -> Iterator[Revision]:
        params: dict[str, Any] = {
            "action": "query", "prop": "revisions", "rvprop": "ids|timestamp|user|comment|content",
            "rvslots": "main", "curtimestamp": "1", "titles": "\x1f" + "\x1f".join(titles)}
        while True:  # large pages come in several answers, joined by "continue"
            answer = self.call("GET", **params)
            query = answer.get("query", {})
            asked = {n["to"]: n["from"] for n in query.get("normalized", [])}
            now = answer.get("curtimestamp", "")
            for page in query.get("pages", []):
                title = asked.get(page["title"], page["title"])
                if page.get("missing") or page.get("invalid"):
                    yield Revision(title, exists=False, read_at=now)
                elif page.get("revisions"):
                    yield _revision(title, page["revisions"][0], now)
            if "continue" not in answer:
                return
            params.update(answer["continue"])

    def edit(self, title: str, text: str, summary: str, base: Revision) -> Saved:
        """Save `text` as `title` over revision `base` (or as a new page); raises ApiError when refused."""
        if not self._csrf:
            self._csrf = self.call("GET", action="query", meta="tokens")["query"]["tokens"]["csrftoken"]
        based: dict[str, Any] = {"baserevid": base.revid, "nocreate": "1"} if base.exists else {"createonly": "1"}
        answer = self.call(
            "POST", action="edit", title=title, text=text, summary=summary, starttimestamp=base.read_at,
            md5=hashlib.md5(text.encode("utf-8")).hexdigest(), bot="1", watchlist="nochange",
            token=self._csrf, **{"assert": "user"}, **based)
        result = answer.get("edit", {})
        if result.get("result") != "Success":
            raise ApiError(str(result.get("result", "failure")).lower(), f"the wiki did not save the page: {result}")
        if result.get("nochange"):
            return Saved(base.revid, base.timestamp, unchanged=True, replaced=base.revid)
        return Saved(int(result.get("newrevid", 0)), str(result.get("newtimestamp", "")),
                     replaced=int(result.get("oldrevid", 0)))

    def purge(self, titles: Sequence[str]) -> None:
        """Have the wiki render `titles` again and update their links tables (a red link to a new page turns blue)."""
        for start in range(0, len(titles), BATCH):
            self.call("POST", action="purge", forcelinkupdate="1",
                      titles="\x1f" + "\x1f".join(titles[start:start + BATCH]))

    def history(self, title: str, limit: int = HISTORY) -> tuple[list[Event], bool]:
        """Return the latest `limit` edits of `title`, newest first, and whether it has older ones."""
        answer = self.call("GET", action="query", prop="revisions", titles=title, rvlimit=limit,
                           rvprop="ids|timestamp|user|comment")
        pages = answer.get("query", {}).get("pages", [])
        revisions = pages[0].get("revisions", []) if pages else []
        return [_event(data) for data in revisions], "continue" in answer

    def deletion(self, title: str) -> Event | None:
        """Return the latest deletion of `title` from the deletion log, if it has one."""
        answer = self.call("GET", action="query", list="logevents", letype="delete", letitle=title, lelimit=1,
                           leprop="user|timestamp|comment")
        events = answer.get("query", {}).get("logevents", [])
        return _event(events[0], "delete") if events else None

    def move(self, title: str) -> Event | None:
        """Return the latest move of `title` to another title, from the move log, if it has one."""
        answer = self.call("GET", action="query", list="logevents", letype="move", letitle=title, lelimit=1,
                           leprop="user|timestamp|comment|details")
        events = answer.get("query", {}).get("logevents", [])
        if not events:
            return None
        params = events[0].get("params", {})
        return _event(events[0], "move", str(params.get("target_title", "")) if isinstance(params, dict) else "")


def _json(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError as exc:
        raise WikiError(f"{response.url} did not answer as a MediaWiki API (HTTP {response.status_code})",
                        "check --api-url: it must be the wiki's api.php") from exc
    return answer if isinstance(answer, dict) else {}


def _retry_after(response: requests.Response) -> float:
    try:
        return max(1.0, float(response.headers.get("Retry-After", MAXLAG)))
    except ValueError:
        return float(MAXLAG)


def _revision(title: str, data: dict[str, Any], read_at: str) -> Revision:
    slot = data.get("slots", {}).get("main", {})
    return Revision(title, True, slot.get("content", ""), int(data.get("revid", 0)), data.get("timestamp", ""),
                    data.get("user", ""), data.get("comment", ""), read_at)


def _event(data: dict[str, Any], kind: str = "edit", target: str = "") -> Event:
    user = "(hidden)" if data.get("userhidden") else data.get("user", "")
    comment = "(hidden)" if data.get("commenthidden") else data.get("comment", "")
    return Event(int(data.get("revid", 0)), user, data.get("timestamp", ""), comment, kind, target)


def saved_form(text: str) -> str:
    """Return `text` as MediaWiki saves it: line ends as "\\n", trailing whitespace dropped (PHP's rtrim)."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip(" \t\n\r\0\x0b")


def user_agent(site: Site) -> str:
    """Return a User-Agent as Wikimedia asks: the tool, its version, and how to reach its operators."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        own = version("clinics-digests")
    except PackageNotFoundError:
        own = "0"
    contact = address_of(site.sender)
    page = wiki_url(site, site.wiki.page_prefix)
    return f"clinics-digests/{own} ({page}; {contact}) python-requests/{requests.__version__}"


def check_api_url(url: str) -> None:
    """Refuse an address that would send the bot password in clear over a network."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        return
    raise WikiError(f"'{url}' is not an https:// address of api.php",
                    "only a wiki on this machine (127.0.0.1) may be reached over plain http")
