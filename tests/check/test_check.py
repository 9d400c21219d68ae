"""Every validation error class: exact place, code, message and hint."""
from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check, digest_text, run_cli


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


CASES = {
    "bad-date": ("001.md", "---\nnumber: 1\ndate: 2020-02-30\n---\n## T\n\nx\n", [
        "digests/001.md:3:7: error[bad-date]: date '2020-02-30' is not a real date (day out of range for February)\n"
        "  hint: write the call's date as YYYY-MM-DD"]),
    "bad-date-leap": ("001.md", "---\nnumber: 1\ndate: 2021-02-29\n---\n## T\n\nx\n", [
        "digests/001.md:3:7: error[bad-date]: date '2021-02-29' is not a real date (2021 is not a leap year)\n"
        "  hint: write the call's date as YYYY-MM-DD"]),
    "bad-date-month": ("001.md", "---\nnumber: 1\ndate: 2020-13-01\n---\n## T\n\nx\n", [
        "digests/001.md:3:7: error[bad-date]: date '2020-13-01' is not a real date (month 13 does not exist)\n"
        "  hint: write the call's date as YYYY-MM-DD"]),
    "bad-date-format": ("001.md", "---\nnumber: 1\ndate: 15 June 2020\n---\n## T\n\nx\n", [
        "digests/001.md:3:7: error[bad-date]: date '15 June 2020' is not written as YYYY-MM-DD\n"
        "  hint: write the call's date as YYYY-MM-DD"]),
    "no-front-matter": ("001.md", "## T\n\nx\n", [
        "digests/001.md:1:1: error[no-front-matter]: the file does not start with front matter ('---')\n"
        "  hint: put the call's details between two '---' lines at the top (see README.md)"]),
    "unterminated": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\n## T\n", [
        "digests/001.md:1:1: error[unterminated-front-matter]: the front matter is never closed\n"
        "  hint: add a line '---' after the last front-matter key"]),
    "yaml-syntax": ("001.md", "---\nnumber: 1\ndate: [2020\n---\n## T\n\nx\n", [
        "digests/001.md:4:1: error[yaml-syntax]: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)\n"
        "  hint: check the indentation, quotes and colons on this line and the one before it"]),
    "unknown-key": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\nlanguag: en\n---\n## T\n\nx\n", [
        "digests/001.md:4:1: error[unknown-key]: unknown key 'languag' in the front matter\n"
        "  hint: did you mean 'language'?"]),
    "missing-key": ("001.md", "---\nnumber: 1\n---\n## T\n\nx\n", [
        "digests/001.md:2:1: error[missing-key]: required key 'date' is missing in the front matter\n"
        "  hint: add a line 'date: …'"]),
    "wrong-type": ("001.md", "---\nnumber: one\ndate: 2020-06-15\n---\n## T\n\nx\n", [
        "digests/001.md:2:9: error[wrong-type]: 'number' must be a whole number of 1 or more, not 'one'\n"
        "  hint: write the call's number, e.g. 'number: 6'"]),
    "wrong-type-attendance": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\nattendance:\n  staff: seven\n---\n"
                              "## T\n\nx\n", [
        "digests/001.md:5:10: error[wrong-type]: attendance 'staff' must be a whole number or an approximate "
        "count like \"~8\", not 'seven'\n"
        "  hint: write an exact count (7) or an approximate one in quotes (\"~8\")"]),
    "bad-time": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\ntime: '25:00'\n---\n## T\n\nx\n", [
        "digests/001.md:4:7: error[bad-time]: time '25:00' is not a time of day written HH:MM\n"
        "  hint: write the UTC start time in quotes, e.g. time: \"17:30\""]),
    "number-mismatch": ("002.md", "---\nnumber: 3\ndate: 2020-06-15\n---\n## T\n\nx\n", [
        "digests/002.md:2:9: error[number-mismatch]: number 3 does not match the file name (002.md)\n"
        "  hint: write 'number: 2' or rename the file to 003.md"]),
    "unknown-language": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\nlanguage: fr\n---\n## T\n\nx\n", [
        "digests/001.md:4:11: error[unknown-language]: language 'fr' is not in digests/site.yaml\n"
        "  hint: languages in digests/site.yaml: en, es, ru"]),
    "language-mismatch": ("001.es.md", "---\nnumber: 1\ndate: 2020-06-15\nlanguage: en\n---\n## T\n\nx\n", [
        "digests/001.es.md:4:11: error[language-mismatch]: language 'en' does not match the file name (001.es.md)\n"
        "  hint: write 'language: es' or rename the file"]),
    "no-topic": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\nintro: false\n---\n", [
        "digests/001.md:6:1: error[no-topic]: the digest has no topic heading\n"
        "  hint: give each topic a level-2 heading: '## Title'"]),
    "empty-topic": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\n---\n## First\n\n## Second\n\nx\n", [
        "digests/001.md:5:1: error[empty-topic]: topic 'First' has no notes\n"
        "  hint: write what was asked and answered under the heading, or remove it"]),
    "heading-skip": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\n---\n## T\n\n#### Deep\n\nx\n", [
        "digests/001.md:7:1: error[heading-level]: heading level skips from 2 to 4\n"
        "  hint: use ### here, or add the missing level above it"]),
    "heading-one": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\n---\n# Title\n\n## T\n\nx\n", [
        "digests/001.md:5:1: error[heading-level]: a level-1 heading ('# …') is not allowed\n"
        "  hint: the digest's title is generated; write topics as '## Title'"]),
    "link-scheme": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\n---\n## T\n\nSee [x](ftp://example.org/f).\n", [
        "digests/001.md:7:9: error[link-scheme]: link 'ftp://example.org/f' is not an http, https or mailto "
        "address\n"
        "  hint: only http://, https:// and mailto: links are allowed; write the full address"]),
    "not-utf8": ("001.md", b"---\nnumber: 1\ndate: 2020-06-15\n---\n## T\n\ncaf\xe9\n", [
        "digests/001.md:7:4: error[not-utf8]: the file is not UTF-8: byte 0xe9 at offset 44 cannot be decoded\n"
        "  hint: save the file as UTF-8 (in most editors: Save As… > Encoding > UTF-8)"]),
    "bad-file-name": ("notes.md", "x", [
        "digests/notes.md: error[bad-file-name]: 'notes.md' is not a digest file name\n"
        "  hint: name digests NNN.md or NNN.LANG.md, e.g. 006.md or 006.es.md"]),
    "bad-status": ("001.md", "---\nnumber: 1\ndate: 2020-06-15\nstatus: done\n---\n## T\n\nx\n", [
        "digests/001.md:4:9: error[bad-status]: status 'done' is neither 'draft' nor 'final'\n"
        "  hint: drafts are checked but never published; write 'status: final' when it is ready"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_error_class(scratch: Path, name: str) -> None:
    filename, text, expected = CASES[name]
    write(scratch, filename, text)
    assert check(scratch, ignore=("uncited-entry", "unlinked-mention")) == expected


def test_every_problem_is_reported_at_once(scratch: Path) -> None:
    write(scratch, "001.md", "---\nnumber: 1\ndate: 2020-02-30\nlanguag: en\n---\n## T\n\n[x](ftp://a/b)\n")
    codes = [line.split("[")[1].split("]")[0] for line in check(scratch)]
    assert codes == ["bad-date", "unknown-key", "link-scheme"]


def test_two_files_for_one_number_and_language(scratch: Path) -> None:
    write(scratch, "006.md", digest_text(6))
    write(scratch, "006.en.md", digest_text(6, "language: en\n"))
    assert check(scratch) == [
        "digests/006.md:1:1: error[duplicate-version]: call 006 in 'en' is also in digests/006.en.md\n"
        "  hint: keep one file per call and language (NNN.LANG.md for each language)"]


def test_versions_disagree_on_date_time_attendance(scratch: Path) -> None:
    write(scratch, "006.en.md", digest_text(6, "language: en\ncall_language: es\ntime: '18:00'\n"
                                            "attendance:\n  staff: 7\n  volunteers: 10\n"))
    write(scratch, "006.es.md", "---\nnumber: 6\ndate: 2020-06-16\nlanguage: es\ntime: '17:00'\n"
                                "attendance:\n  staff: 7\n  volunteers: 9\n---\n## T\n\nx\n")
    assert check(scratch) == [
        "digests/006.es.md:3:1: error[version-mismatch]: date differs between versions of call 006: "
        "2020-06-16 here, 2020-06-15 in digests/006.en.md\n"
        "  hint: versions of one call must agree on date; correct the one that is wrong",
        "digests/006.es.md:5:1: error[version-mismatch]: time differs between versions of call 006: "
        "17:00 here, 18:00 in digests/006.en.md\n"
        "  hint: versions of one call must agree on time; correct the one that is wrong",
        "digests/006.es.md:6:1: error[version-mismatch]: attendance differs between versions of call 006: "
        "7 staff, 9 volunteers here, 7 staff, 10 volunteers in digests/006.en.md\n"
        "  hint: versions of one call must agree on attendance; correct the one that is wrong",
    ]


WARNINGS = {
    "few-staff": ("attendance:\n  staff: 1\n  volunteers: 4\n",
                  "digests/001.md:5:10: warning[few-staff]: only 1 staff member attended; the program promises "
                  "at least two\n  hint: check the count; if it is right, say so in the notes"),
    "unusual-duration": ("duration: 45\n",
                         "digests/001.md:4:11: warning[unusual-duration]: duration of 45 minutes is outside the "
                         "usual 70-90\n  hint: check the number: Clinics calls last 70 to 90 minutes"),
}


@pytest.mark.parametrize("code", sorted(WARNINGS))
def test_warnings(scratch: Path, code: str) -> None:
    front, expected = WARNINGS[code]
    write(scratch, "001.md", digest_text(1, front))
    assert check(scratch) == [expected]


def test_future_final_digest_warns(scratch: Path) -> None:
    write(scratch, "001.md", digest_text(1))
    assert check(scratch, today="2020-06-01") == [
        "digests/001.md:3:1: warning[future-date]: final digest dated 2020-06-15, after today (2020-06-01)\n"
        "  hint: check the date, or set 'status: draft' until the call has happened"]
    write(scratch, "001.md", digest_text(1, "status: draft\n"))
    assert check(scratch, today="2020-06-01") == []


def test_gap_in_numbering_warns(scratch: Path) -> None:
    write(scratch, "001.md", digest_text(1))
    write(scratch, "004.md", digest_text(4))
    assert check(scratch) == [
        "digests/004.md:2:1: warning[number-gap]: no digest for call 002, 003\n"
        "  hint: write the missing digests, or check this file's number"]


def test_check_exit_status_and_output(scratch: Path) -> None:
    write(scratch, "001.md", "---\nnumber: 1\ndate: 2020-02-30\n---\n## T\n\nx\n")
    result = run_cli("check", "--digests", scratch, cwd=scratch.parent)
    assert result.status == 1
    assert result.err.splitlines()[0] == (
        "digests/001.md:3:7: error[bad-date]: date '2020-02-30' is not a real date (day out of range for February)")
    assert "Traceback" not in result.err


def test_warnings_fail_only_with_strict(scratch: Path) -> None:
    write(scratch, "001.md", digest_text(1, "duration: 45\n"))
    assert run_cli("check", "--digests", scratch, "--today", "2026-01-01", cwd=scratch.parent).status == 0
    assert run_cli("check", "--digests", scratch, "--strict", "--today", "2026-01-01",
                   cwd=scratch.parent).status == 1


def test_example_archive_is_clean() -> None:
    result = run_cli("check", "--strict")
    assert result.status == 0, result.err
