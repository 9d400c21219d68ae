"""Incremental builds: what a second build parses, renders and writes, and that its outputs equal a cold build's."""
from __future__ import annotations

import datetime as dt
import json
import shutil
import xml.etree.ElementTree as etree
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT, digest_text, run_cli

from pipeline.build.cache import CACHE_FILE
from pipeline.build.run import Result, build
from pipeline.check.archive import Intros, read_digest
from pipeline.model.digest import Digest
from pipeline.parse.tree import Parser
from pipeline.read.archive import FrontMatter, load_settings, scan_meta

TODAY = dt.date(2026, 1, 1)


def run(folder: Path, out: Path, templates: Path = ROOT / "templates", jobs: int = 1) -> Result:
    result = build(folder, templates, out, today=TODAY, jobs=jobs)
    assert not result.failed, result.diagnostics
    return result


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not str(p.relative_to(out)).startswith(".")}


def citing(out: Path, entry: str) -> set[str]:
    """Return the ids of the digest versions whose model lists `entry` among its citations."""
    return {p.stem for p in (out / "model").glob("*.json")
            if entry in json.loads(p.read_text(encoding="utf-8"))["citations"]}


def assert_same_as_cold(folder: Path, out: Path, tmp_path: Path, templates: Path = ROOT / "templates") -> None:
    cold = tmp_path / "cold"
    shutil.rmtree(cold, ignore_errors=True)
    run(folder, cold, templates)
    assert outputs(out) == outputs(cold)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_second_build_parses_renders_and_writes_nothing(example: Path, tmp_path: Path, jobs: int) -> None:
    out = tmp_path / "out"
    first = run(example, out, jobs=jobs)
    assert first.parsed == 10 and first.rendered == 10 and first.written > 0
    second = run(example, out, jobs=jobs)
    assert (second.parsed, second.rendered, second.written) == (0, 0, 0)
    assert second.unchanged == first.written


def test_editing_one_digest_parses_and_renders_only_it(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(example, out)
    before = outputs(out)
    source = example / "003.md"
    source.write_text(source.read_text(encoding="utf-8") + "\nOne more line of notes.\n", encoding="utf-8")
    result = run(example, out)
    assert (result.parsed, result.rendered) == (1, 1)
    changed = {path for path, data in outputs(out).items() if before.get(path) != data}
    assert changed and all("003" in path for path in changed), changed
    assert_same_as_cold(example, out, tmp_path)


def test_a_catalog_description_edit_renders_exactly_the_digests_citing_it(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(example, out)
    cited = citing(out, "quarry")
    assert cited and len(cited) < 10  # the example archive cites it in some digests, not all
    catalog = example / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    start = text.index("- id: quarry\n")
    line = text.index("description:", start)
    catalog.write_text(text[:line] + "description: An edited sentence.\n"
                       + text[text.index("\n", line) + 1:], encoding="utf-8")
    result = run(example, out)
    assert result.rendered == result.parsed == len(cited)  # rendering needs the trees: a new parse
    assert_same_as_cold(example, out, tmp_path)


def test_a_moved_upcoming_call_renders_the_digests_that_list_it(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(example, out)
    listing = {p.name for p in (out / "email").glob("[0-9]*.txt") if "wmc-clin-010" in p.read_text(encoding="utf-8")}
    assert listing
    schedule = example / "schedule.yaml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace("wmc-clin-010", "wmc-clin-010-moved"),
                        encoding="utf-8")
    result = run(example, out)
    assert result.rendered == len(listing)
    assert "wmc-clin-010-moved" in (out / "calendar" / "clinics.ics").read_text(encoding="utf-8")
    assert_same_as_cold(example, out, tmp_path)


def test_a_template_edit_renders_every_digest_again(example: Path, tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    out = tmp_path / "out"
    run(example, out, templates)
    style = next(p for p in sorted(templates.iterdir()) if p.suffix == ".css")
    style.write_text(style.read_text(encoding="utf-8") + "\np { color: #123456; }\n", encoding="utf-8")
    result = run(example, out, templates)
    assert result.rendered == 10 and result.written > 0
    assert_same_as_cold(example, out, tmp_path, templates)


DAMAGE = {
    "empty": lambda data: b"",
    "not a pickle": lambda data: b"not a pickle at all",
    "a broken pickle": lambda data: b"\x80\x05garbage",
    "truncated": lambda data: data[: len(data) // 2],
    "an entry cut short": lambda data: data[:-10],
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_cache_means_a_full_build_with_the_same_outputs(example: Path, tmp_path: Path,
                                                                   damage: str) -> None:
    out = tmp_path / "out"
    run(example, out)
    before = outputs(out)
    cache = out / CACHE_FILE
    cache.write_bytes(DAMAGE[damage](cache.read_bytes()))
    result = run(example, out)
    assert result.parsed == 10 and result.written == 0
    assert outputs(out) == before


def test_deleted_outputs_are_made_again_without_parsing(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(example, out)
    before = outputs(out)
    (out / "email" / "004.txt").unlink()
    (out / "wiki" / "main-page-sections.wiki").unlink()
    result = run(example, out)
    assert result.rendered == 1 and result.written == 2
    assert outputs(out) == before


def test_a_changed_call_time_renders_the_digests_listing_that_call(example: Path, tmp_path: Path) -> None:
    """The time is in 005.md's front matter, but earlier digests list call 5 among the next calls."""
    out = tmp_path / "out"
    run(example, out)
    source = example / "005.md"
    text = source.read_text(encoding="utf-8")
    source.write_text(text.replace("\ndate: 2020-07-01\n", '\ndate: 2020-07-01\ntime: "23:45"\n'), encoding="utf-8")
    result = run(example, out)
    assert result.rendered > 1
    assert_same_as_cold(example, out, tmp_path)


def test_a_second_build_after_an_edit_remembers_every_render_key(example: Path, tmp_path: Path) -> None:
    """Keys made once are kept while nothing they are made from changes; a stale one is never used."""
    out = tmp_path / "out"
    run(example, out, jobs=2)
    for round_ in range(3):
        source = example / "002.md"
        source.write_text(source.read_text(encoding="utf-8") + f"\nRound {round_}.\n", encoding="utf-8")
        result = run(example, out, jobs=2)
        assert (result.parsed, result.rendered) == (1, 1)
    assert_same_as_cold(example, out, tmp_path)


def test_a_files_warnings_are_reported_once_when_its_worker_reuses_the_front_matter(
        scratch: Path, tmp_path: Path) -> None:
    (scratch / "001.md").write_bytes(b"\xef\xbb\xbf" + digest_text(1).encode("utf-8"))  # a BOM: a warning
    result = build(scratch, ROOT / "templates", tmp_path / "out", today=TODAY, jobs=1)
    assert [d.code for d in result.diagnostics if d.location.path.endswith("001.md")].count("bom") == 1
    assert not result.failed and result.parsed == 1


def scanned(path: Path) -> tuple[Callable[..., tuple[Digest | None, list]], FrontMatter]:
    """Return a reader of digest files in the folder of `path`, and the front matter a build's scan read."""
    archive, _ = load_settings(path.parent)
    parser = Parser(archive.catalog)
    intros = Intros(parser, ROOT / "templates", [])
    _, front = scan_meta(path, path.name, path.read_bytes(), archive.site)
    assert front is not None
    return lambda **given: read_digest(path, path.name, archive.site, parser, intros, **given), front


def test_a_digest_read_with_its_front_matter_equals_one_read_from_scratch(example: Path) -> None:
    read, front = scanned(example / "006.es.md")
    reused, fresh = read(front=front), read()
    assert reused[1] == fresh[1]
    assert reused[0] is not None and fresh[0] is not None
    assert reused[0].summary() == fresh[0].summary()
    assert [etree.tostring(el) for topic in reused[0].topics for el in (topic.heading, *topic.elements)] == \
        [etree.tostring(el) for topic in fresh[0].topics for el in (topic.heading, *topic.elements)]


def test_a_file_changed_after_its_front_matter_was_read_is_read_again(example: Path) -> None:
    path = example / "003.md"
    read, front = scanned(path)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\ndate: ", "\nstatus: draft\ndate: ", 1), encoding="utf-8")
    digest, _ = read(front=front)
    assert digest is not None and front.meta.status != digest.meta.status
    assert digest.source_hash != front.source_hash


def test_a_digest_made_final_renders_its_neighbours_pages_and_nothing_else(example: Path, tmp_path: Path) -> None:
    """Each Meta page links the digests of the calls before and after: a new final digest changes theirs."""
    out = tmp_path / "out"
    source = example / "009.md"
    source.write_text(source.read_text(encoding="utf-8").replace("---\n", "---\nstatus: draft\n", 1),
                      encoding="utf-8")
    run(example, out)
    assert "Next:" not in (out / "wiki" / "008.wiki").read_text(encoding="utf-8")
    before = outputs(out)
    source.write_text(source.read_text(encoding="utf-8").replace("status: draft\n", "", 1), encoding="utf-8")
    result = run(example, out)
    # 009 itself, 008, whose page now links it, and 001, whose follow-up 001-1 009 answers
    assert result.rendered == 3
    assert "Next: [[Wikimedia Clinics/009|" in (out / "wiki" / "008.wiki").read_text(encoding="utf-8")
    changed = {path for path, data in outputs(out).items() if before.get(path) != data}
    assert {p for p in changed if p.startswith("wiki/0")} == {"wiki/001.wiki", "wiki/008.wiki", "wiki/009.wiki"}


def listing(out: Path, item: str) -> set[str]:
    """Return the outputs of digests whose email shows follow-up `item`."""
    return {p.name for p in (out / "email").glob("[0-9]*.txt") if f" {item}: " in p.read_text(encoding="utf-8")}


def test_answering_a_follow_up_renders_exactly_the_digests_and_pages_that_show_it(example: Path, tmp_path: Path) -> None:
    """006-1 is open in the example archive: 006 (both versions) lists it as its own, 007 to 009 as open."""
    out = tmp_path / "out"
    run(example, out)
    assert listing(out, "006-1") == {"006.es.txt", "006.en.txt", "007.txt", "008.txt", "009.txt"}
    before = outputs(out)
    source = example / "009.md"
    source.write_text(source.read_text(encoding="utf-8") + "* 006-1: The links were sent to the participants: "
                      "[the message](https://lists.wikimedia.org/answer).\n", encoding="utf-8")
    result = run(example, out)
    assert result.rendered == 3  # 009, which answers it, and the two versions of 006, which opened it
    changed = {path for path, data in outputs(out).items() if before.get(path) != data}
    assert {path.split("/")[-1].split(".")[0] for path in changed} == {"006", "009", "follow-ups", "main-page-sections"}
    assert "[x] 006-1:" in (out / "email" / "006.en.txt").read_text(encoding="utf-8")
    assert "Answered since the last call" in (out / "email" / "009.txt").read_text(encoding="utf-8")
    assert "Open follow-ups: 0." in (out / "wiki" / "main-page-sections.wiki").read_text(encoding="utf-8")
    assert_same_as_cold(example, out, tmp_path)
    # Taking the answer out again opens it everywhere, as a cold build does.
    source.write_text(source.read_text(encoding="utf-8").split("* 006-1: ")[0], encoding="utf-8")
    result = run(example, out)
    assert result.rendered == 3
    assert outputs(out) == before


def test_a_cold_build_shows_answers_written_in_digests_parsed_after_the_item(example: Path, tmp_path: Path) -> None:
    """The workers render before every digest is parsed; the build renders again what they could not know."""
    out = tmp_path / "out"
    result = run(example, out, jobs=2)
    assert (result.parsed, result.rendered) == (10, 10)
    assert "[x] 001-1:" in (out / "email" / "001.txt").read_text(encoding="utf-8")
    second = run(example, out, jobs=2)
    assert (second.parsed, second.rendered, second.written) == (0, 0, 0)


def test_a_new_digest_answering_a_follow_up_moves_it_to_answered_everywhere(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(example, out)
    schedule = example / "schedule.yaml"
    text = schedule.read_text(encoding="utf-8")
    schedule.write_text(text[text.index("- number: 11"):], encoding="utf-8")  # call 10 took place
    (example / "010.md").write_text(digest_text(10, "answers:\n  - id: 006-1\n    note: The links were sent.\n"
                                                    "    link: https://lists.wikimedia.org/links\n").replace(
        "2020-06-15", "2020-09-15"), encoding="utf-8")
    run(example, out)
    for name in ("006.es.txt", "006.en.txt"):
        assert "[x] 006-1:" in (out / "email" / name).read_text(encoding="utf-8")
    assert "Answered since the last call\n----------------------------\n\n* [x] 006-1:" in (
        out / "email" / "010.txt").read_text(encoding="utf-8")
    assert "☐" not in (out / "wiki" / "follow-ups.wiki").read_text(encoding="utf-8")
    assert "Open follow-ups: 0." in (out / "wiki" / "main-page-sections.wiki").read_text(encoding="utf-8")
    assert_same_as_cold(example, out, tmp_path)


def test_rewording_a_follow_up_in_one_version_rewrites_the_follow_ups_page(example: Path, tmp_path: Path) -> None:
    """The page is in English: the English version's wording of 006-1 is what it shows, not the Spanish one's."""
    out = tmp_path / "out"
    run(example, out)
    source = example / "006.en.md"
    source.write_text(source.read_text(encoding="utf-8").replace("Staff will send participants the links",
                                                                 "Staff will email participants the links"),
                      encoding="utf-8")
    run(example, out)
    assert "Staff will email participants" in (out / "wiki" / "follow-ups.wiki").read_text(encoding="utf-8")
    assert_same_as_cold(example, out, tmp_path)
