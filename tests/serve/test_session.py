"""The preview's warm session: a save re-reads one file, and only the previews it affects are rendered again."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pytest
from conftest import DIGESTS, TEMPLATES

from pipeline.cli import main
from pipeline.serve.session import Session

TODAY = dt.date(2026, 1, 1)


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(DIGESTS, tmp_path / "digests")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _session(work: Path) -> Session:
    return Session(Path("digests"), TEMPLATES, Path("build"), TODAY)


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_digest_edit_renders_that_digest_alone(work: Path) -> None:
    session = _session(work)
    first, second = session.rendering(session.versions["001"]), session.rendering(session.versions["002"])
    assert first is not None and second is not None
    _edit(work / "digests/002.md", "## ", "## Renamed: ")
    change = session.refresh([work / "digests/002.md"])
    assert change is not None and change.slugs == ("002",) and not change.everything
    assert session.rendering(session.versions["001"]) is first  # not rendered again
    again = session.rendering(session.versions["002"])
    assert again is not second and again is not None
    assert b"Renamed: " in again.outputs["wiki/002.wiki"]


def test_a_save_of_the_same_bytes_changes_nothing(work: Path) -> None:
    session = _session(work)
    path = work / "digests/001.md"
    path.write_bytes(path.read_bytes())
    assert session.refresh([path]) is None
    assert session.generation == 0


def test_a_catalog_edit_renders_the_digests_citing_the_entry(work: Path) -> None:
    session = _session(work)
    citing, other = session.rendering(session.versions["001"]), session.rendering(session.versions["007"])
    assert "dutch-wikipedia" in session.versions["001"].summary.citations  # type: ignore[union-attr]
    assert "dutch-wikipedia" not in session.versions["007"].summary.citations  # type: ignore[union-attr]
    _edit(work / "digests/catalog.yaml", "The Dutch-language edition of Wikipedia.", "Wikipedia in Dutch.")
    change = session.refresh([work / "digests/catalog.yaml"])
    assert change is not None and change.everything
    assert session.rendering(session.versions["007"]) is other
    renewed = session.rendering(session.versions["001"])
    assert renewed is not citing and renewed is not None
    assert b"Wikipedia in Dutch." in renewed.outputs["wiki/001.wiki"] + renewed.outputs["email/001.txt"]


def test_errors_replace_the_preview_and_a_fix_brings_it_back(work: Path) -> None:
    session = _session(work)
    path = work / "digests/001.md"
    _edit(path, "[Dutch Wikipedia][]", "[Quary][]")
    session.refresh([path])
    version = session.versions["001"]
    assert session.rendering(version) is None
    (problem,) = [d for d in session.problems_of(version) if d.code == "unknown-ref"]
    assert session.source_line(problem.location.path, problem.location.line).startswith("A volunteer from the [Quary]")
    _edit(path, "[Quary][]", "[Dutch Wikipedia][]")
    session.refresh([path])
    assert session.rendering(session.versions["001"]) is not None


def test_it_starts_from_the_build_cache_and_never_writes(work: Path) -> None:
    assert main(["build", "--digests", "digests", "--out", "build", "--today", "2026-01-01"]) == 0
    before = {p: p.stat().st_mtime_ns for p in (work / "build").rglob("*")}
    session = _session(work)
    assert all(v.summary is not None for v in session.versions.values())
    assert session._models == {}  # nothing parsed: every summary came from the cache
    session.rendering(session.versions["006.en"])
    assert {p: p.stat().st_mtime_ns for p in (work / "build").rglob("*")} == before
    assert sorted(os.listdir(work)) == ["build", "digests"]


def test_a_broken_site_yaml_is_shown_and_mended(work: Path) -> None:
    session = _session(work)
    site = work / "digests/site.yaml"
    good = site.read_bytes()
    site.write_text("title: [unclosed\n", encoding="utf-8")
    session.refresh([site])
    assert session.blocking() and session.rendering(session.versions["001"]) is None
    site.write_bytes(good)
    session.refresh([site])
    assert session.blocking() == [] and session.rendering(session.versions["001"]) is not None


def test_a_front_matter_edit_reaches_every_view(work: Path) -> None:
    """A date is in other digests' "Upcoming calls" and in the checks between files: every view may change."""
    session = _session(work)
    _edit(work / "digests/003.md", "date: 2020-06-23", "date: 2020-06-24")
    change = session.refresh([work / "digests/003.md"])
    assert change is not None and change.everything and change.slugs == ("003",)
    _edit(work / "digests/003.md", "date: 2020-06-24", "date: 2027-06-24")  # after "today", 2026-01-01
    session.refresh([work / "digests/003.md"])
    assert [d.code for d in session.problems_of(session.versions["003"])] == ["future-date"]


def test_template_edits_render_again_and_an_introduction_is_read_again(work: Path) -> None:
    templates = work / "templates"
    shutil.copytree(TEMPLATES, templates)
    session = Session(Path("digests"), templates, Path("build"), TODAY)
    before = session.rendering(session.versions["001"])
    assert before is not None and b"#202122" in before.outputs["email/001.html"]
    _edit(templates / "email.css", "color: #202122;", "color: #101112;")
    change = session.refresh([templates / "email.css"])
    assert change is not None and change.everything
    after = session.rendering(session.versions["001"])
    assert after is not None and b"#101112" in after.outputs["email/001.html"]
    _edit(templates / "intro.en.md", "### Quick principles", "### Our principles")
    session.refresh([templates / "intro.en.md"])
    again = session.rendering(session.versions["001"])
    assert again is not None and "Our principles" in again.outputs["email/001.txt"].decode()
