"""Follow-ups in every output: the text email's [ ] and [x], the HTML's checkbox read out as its state, the model
JSON, the lists after the topics as of each digest's call, and `clinics followups`."""
from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT, TEMPLATES, run_cli

from pipeline.check.archive import load_archive
from pipeline.model.archive import Archive
from pipeline.render import model_json
from pipeline.render.email import mime

CASE = ROOT / "tests" / "cases" / "followups" / "digests"


@pytest.fixture
def case(tmp_path: Path) -> Path:
    folder = tmp_path / "digests"
    shutil.copytree(CASE, folder)
    for name in ("site.yaml", "catalog.yaml"):
        shutil.copy(DIGESTS / name, folder / name)
    return folder


@pytest.fixture
def archive(case: Path) -> Archive:
    return load_archive(case, TEMPLATES, dt.date(2026, 1, 1))


def bodies(archive: Archive, digest_id: str) -> mime.Bodies:
    return mime.bodies(archive, next(d for d in archive.digests if d.id == digest_id))


def unwrapped(text: str) -> str:
    """Return a text body with each item's lines joined: what is said, whatever the line width."""
    return text.replace("\n  ", " ")


def test_the_text_email_writes_boxes_as_a_task_list(archive: Archive) -> None:
    text = unwrapped(bodies(archive, "001").text)
    assert "* [x] 001-1: Write to the list with the *deadlines* of the rapid grants – owner: Asaf (WMF)" in text
    assert "* [x] ts-small-wikis: Ask the Trust and Safety team" in text
    later = unwrapped(bodies(archive, "002.en").text)
    assert "* [ ] 002-1: Gather guides to online workshops from other chapters" in later
    opened = later.split("Open follow-ups from earlier calls\n", 1)[1].split("\n\n\n", 1)[0]
    assert "* [ ] ts-small-wikis: Ask the Trust and Safety team who handles a case" in opened
    assert "calls since: 1" in opened and "001-1" not in opened  # answered on call 002: not open as of it
    answered = later.split("Answered since the last call\n", 1)[1].split("\n\n\n", 1)[0]
    assert "* [x] 001-1: Write to the list with the deadlines of the rapid grants" in answered
    assert "The deadlines were sent to the list." in answered


def test_the_html_email_shows_a_checkbox_with_its_state_in_words(archive: Archive) -> None:
    html = bodies(archive, "002.es").html
    assert '<span role="img" aria-label="pendiente">☐</span> 002-1: Reunir guías' in html
    assert '<span role="img" aria-label="respondido">☑</span> 001-1:' in html
    assert ">Seguimientos pendientes de llamadas anteriores</h2>" in html
    assert ">Respondidos desde la última llamada</h2>" in html


def test_the_first_digest_lists_no_earlier_follow_ups(archive: Archive) -> None:
    text = bodies(archive, "001").text
    assert "Open follow-ups from earlier calls" not in text and "Answered since the last call" not in text


def test_the_model_json_carries_the_items_and_the_answers(archive: Archive) -> None:
    first = json.loads(next(model_json.render(archive, next(d for d in archive.digests if d.id == "001"))).data)
    assert [(f["id"], f["status"], f["answer"]["call"]) for f in first["followups"]] == [
        ("001-1", "answered", 2), ("001-2", "answered", 1), ("ts-small-wikis", "answered", 3)]
    assert first["followups"][0]["due"] == "2020-07-01" and first["followups"][0]["owner"] == "Asaf (WMF)"
    second = json.loads(next(model_json.render(archive, next(d for d in archive.digests if d.id == "002.en"))).data)
    assert second["answers"] == [{"id": "001-1", "note": "The deadlines were sent to the list.", "line": 7,
                                  "link": "https://lists.wikimedia.org/hyperkitty/list/wikimedia-l@lists.wikimedia.org/"
                                          "thread/plazos/"}]


def test_clinics_followups_lists_filters_and_speaks_json(case: Path) -> None:
    listed = run_cli("followups", "--digests", case, "--today", "2026-01-01")
    assert listed.status == 0, listed.err
    assert [line.split("  ")[1] for line in listed.out.splitlines() if not line.startswith(" ")] == [
        "002-1", "001-1", "001-2", "ts-small-wikis"]
    assert listed.out.startswith("[ ]  002-1  call 002  owner: Claudia, from Wikimedia Mexico  due 2020-08-01  "
                                 "open for 1 calls\n    Gather guides to online workshops from other chapters\n")
    mine = run_cli("followups", "--digests", case, "--open", "--owner", "CLAUDIA", "--format", "json")
    assert [item["id"] for item in json.loads(mine.out)] == ["002-1"]
    nobody = run_cli("followups", "--digests", case, "--owner", "Nobody")
    assert (nobody.status, nobody.out) == (0, "")
    bad = run_cli("followups", "--digests", case, "--format", "xml")
    assert bad.status == 2


def test_a_draft_answers_nothing_in_the_published_outputs(case: Path) -> None:
    (case / "004.md").write_text(
        "---\nnumber: 4\ndate: 2020-07-06\nstatus: draft\nanswers:\n  - id: 002-1\n    note: Gathered.\n"
        "    link: https://lists.wikimedia.org/guides\n---\n## A draft\n\n* Volunteer:\n    * Asked.\n",
        encoding="utf-8")
    archive = load_archive(case, TEMPLATES, dt.date(2026, 1, 1))
    assert [t.id for t in archive.followups.open_now()] == ["002-1"]
    assert "* [ ] 002-1: Gather guides" in unwrapped(bodies(archive, "002.en").text)
