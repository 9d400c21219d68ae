"""The messages through SpamAssassin (Debian's, local rules only): what a list's filter would score them.

`.ci/run` installs spamassassin. `-L` leaves out every network test (DNS blocklists, Razor),
so the score is the same on every machine and nothing leaves 127.0.0.1.
"""
from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess

import pytest
from conftest import DIGESTS, TEMPLATES, need

from pipeline.check.archive import load_archive
from pipeline.render.email import announce, mime as email_mime

# What the real lists' filters saw in the field: a score of at most 1.0 for every message.
MOST = 1.0


@pytest.fixture(scope="module")
def messages() -> dict[str, bytes]:
    archive = load_archive(DIGESTS, TEMPLATES, dt.date(2026, 1, 1))
    found = {o.path: o.data for digest in archive.digests for o in email_mime.render(archive, digest)}
    found.update((o.path, o.data) for o in announce.render(archive))
    return {path: data for path, data in found.items() if path.endswith(".eml")}


def report(message: bytes) -> tuple[float, set[str]]:
    """Return SpamAssassin's score of `message` and the names of the rules that hit."""
    need(shutil.which("spamassassin") is not None, "spamassassin is not installed (apt-get install spamassassin)")
    proc = subprocess.run(["spamassassin", "-L", "-t"], input=message, capture_output=True, timeout=120, check=True)
    out = proc.stdout.decode("utf-8", "replace")
    status = re.search(r"^X-Spam-Status: \w+, score=(-?[\d.]+) .*?tests=(.*?) autolearn", out, re.M | re.S)
    assert status, out[:2000]
    rules = {name for name in re.split(r"[,\s]+", status[2]) if name and name != "none"}
    return float(status[1]), rules


def test_no_message_scores_over_one_point_or_hides_text(messages: dict[str, bytes]) -> None:
    kinds = {"multipart": "email/iberocoop/006.es.eml", "plain": "email/wikimedia-l/006.en.eml",
             "announcement": next(path for path in messages if "announce-" in path and "iberocoop" in path)}
    for kind, path in kinds.items():
        score, rules = report(messages[path])
        assert score <= MOST, (kind, score, rules)
        assert not {"HTML_FONT_LOW_CONTRAST", "HTML_FONT_TINY", "HTML_SHORT_LINK_IMG_1"} & rules, (kind, rules)
