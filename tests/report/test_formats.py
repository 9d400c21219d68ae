"""`check` and `build --format text|json|github|sarif`: the same diagnostics, in the form each reader takes.

The SARIF log is validated with jsonschema against the OASIS schema of SARIF 2.1.0, vendored beside
this file (sarif/SOURCE.md says where it comes from).
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import ROOT, digest_text, run_cli

from pipeline.model.diagnostics import Location, error, warning
from pipeline.report.formats import render_github, render_json, render_sarif

SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
BROKEN = digest_text(1, body="## A topic\n\n* Volunteer:\n    * Asked about [Quary][].\n")
TODAY = ("--today", "2026-01-01")


@pytest.fixture
def broken(scratch: Path) -> Path:
    (scratch / "001.md").write_text(BROKEN, encoding="utf-8")
    return scratch


def _ours(entries: list[dict[str, object]]) -> list[dict[str, object]]:
    return [e for e in entries if e["code"] != "uncited-entry"]


def test_json_is_every_diagnostic_with_its_place_and_hint(broken: Path) -> None:
    result = run_cli("check", "--digests", broken, "--format", "json", *TODAY, cwd=broken.parent)
    assert result.status == 1
    document = json.loads(result.out)
    assert document["version"] == 1
    assert _ours(document["diagnostics"]) == [
        {"path": "digests/001.md", "line": 8, "column": 19, "severity": "error", "code": "unknown-ref",
         "message": "no catalog entry or link definition for 'Quary'", "hint": "did you mean 'quarry'?"}]
    assert document["errors"] == 1
    assert document["warnings"] == len(document["diagnostics"]) - 1
    assert "1 error" in result.err  # the summary stays on standard error, with the rest of what the command says


def test_github_prints_one_annotation_per_diagnostic(broken: Path) -> None:
    result = run_cli("check", "--digests", broken, "--format", "github", *TODAY, cwd=broken.parent)
    assert result.status == 1
    lines = [line for line in result.out.splitlines() if "uncited-entry" not in line]
    assert lines == ["::error file=digests/001.md,line=8,col=19,title=error[unknown-ref]::"
                     "no catalog entry or link definition for 'Quary'%0Ahint: did you mean 'quarry'?"]


def test_github_escapes_what_would_end_a_property_or_a_command() -> None:
    found = render_github([warning("odd", "50% done\r\nnext", Location("a,b:c%.md"), "")])
    assert found == "::warning file=a%2Cb%3Ac%25.md,title=warning[odd]::50%25 done%0D%0Anext\n"


def test_text_is_the_default_and_goes_to_standard_error(broken: Path) -> None:
    result = run_cli("check", "--digests", broken, *TODAY, cwd=broken.parent)
    assert result.out == ""
    assert "digests/001.md:8:19: error[unknown-ref]: no catalog entry or link definition for 'Quary'\n" \
           "  hint: did you mean 'quarry'?" in result.err


def test_sarif_of_a_failing_check_is_valid_and_places_each_result(broken: Path) -> None:
    result = run_cli("check", "--digests", broken, "--format", "sarif", *TODAY, cwd=broken.parent)
    assert result.status == 1
    log = json.loads(result.out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    run = log["runs"][0]
    first = next(r for r in run["results"] if r["ruleId"] == "unknown-ref")
    assert first["level"] == "error"
    assert first["message"]["text"] == "no catalog entry or link definition for 'Quary'\nhint: did you mean 'quarry'?"
    assert first["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "digests/001.md", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 8, "startColumn": 19}}
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == "unknown-ref"


def test_sarif_of_every_kind_of_place_is_valid() -> None:
    """No line, a line without a column, a path with a space and non-ASCII text: each valid, URIs encoded."""
    found = [error("no-site", "the settings file is missing", Location("my digests/site.yaml"), "create it"),
             warning("bom", "a byte-order mark «»", Location("digests/002.es.md", 1)),
             error("bad-date", "date", Location("digests/001.md", 3, 7))]
    log = json.loads(render_sarif(found))
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    places = [r["locations"][0]["physicalLocation"] for r in log["runs"][0]["results"]]
    assert places[0] == {"artifactLocation": {"uri": "my%20digests/site.yaml", "uriBaseId": "SRCROOT"}}
    assert places[1]["region"] == {"startLine": 1}
    assert render_sarif(found) == render_sarif(found)


def test_the_schema_refuses_what_is_not_sarif() -> None:
    """The validation can fail: a result without a message is refused by the vendored schema."""
    log = json.loads(render_sarif([error("x", "y", Location("a.md", 1, 1))]))
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)


def test_clean_archive_gives_an_empty_document(example: Path) -> None:
    result = run_cli("check", "--digests", example, "--format", "sarif", cwd=example.parent)
    assert result.status == 0
    log = json.loads(result.out)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)
    assert log["runs"][0]["results"] == []
    assert json.loads(render_json([])) == {"version": 1, "errors": 0, "warnings": 0, "diagnostics": []}


def test_build_takes_the_format_too(broken: Path, tmp_path: Path) -> None:
    result = run_cli("build", "--digests", broken, "--out", tmp_path / "out", "--format", "json", *TODAY,
                     cwd=broken.parent)
    assert result.status == 1
    assert _ours(json.loads(result.out)["diagnostics"])[0]["code"] == "unknown-ref"
    assert "nothing was written" in result.err
    assert not (tmp_path / "out" / "email").exists()


def test_the_schema_is_the_vendored_official_one() -> None:
    assert SCHEMA["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    assert (ROOT / "tests" / "report" / "sarif" / "SOURCE.md").is_file()
