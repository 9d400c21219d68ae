"""Diagnostics in the forms other tools read: text, JSON, GitHub workflow commands, SARIF 2.1.0.

Each function takes the diagnostics sorted as the CLI prints them and returns the whole output as
one string; none prints, and none reads the clock, so the same diagnostics give the same bytes.
"""
from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from importlib import metadata
from urllib.parse import quote

from pipeline.model.diagnostics import Diagnostic, Severity

JSON_VERSION = 1  # `--format json`: raised when a field changes meaning or goes away, never for a new field
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "clinics"
TOOL_URI = "https://meta.wikimedia.org/wiki/Wikimedia_Clinics"


class Format(enum.Enum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"
    SARIF = "sarif"


def render(form: Format, diagnostics: Sequence[Diagnostic]) -> str:
    """Return `diagnostics` written in `form` (the empty string for text with nothing to say)."""
    return {Format.TEXT: render_text, Format.JSON: render_json, Format.GITHUB: render_github,
            Format.SARIF: render_sarif}[form](diagnostics)


def counts(diagnostics: Sequence[Diagnostic]) -> tuple[int, int]:
    """Return the number of errors and of warnings."""
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    return errors, len(diagnostics) - errors


def render_text(diagnostics: Sequence[Diagnostic]) -> str:
    """Return the diagnostics as people read them: `path:line:col: severity[code]: message`, then the hint."""
    return "".join(d.format() + "\n" for d in diagnostics)


def as_dict(diagnostic: Diagnostic) -> dict[str, object]:
    """Return one diagnostic as the JSON object of `--format json` (line and column 0: not known)."""
    loc = diagnostic.location
    return {"path": loc.path, "line": loc.line, "column": loc.column, "severity": diagnostic.severity.value,
            "code": diagnostic.code, "message": diagnostic.message, "hint": diagnostic.hint}


def render_json(diagnostics: Sequence[Diagnostic]) -> str:
    """Return one JSON document: the format's version, the counts and every diagnostic."""
    errors, warnings = counts(diagnostics)
    document = {"version": JSON_VERSION, "errors": errors, "warnings": warnings,
                "diagnostics": [as_dict(d) for d in diagnostics]}
    return json.dumps(document, ensure_ascii=False, indent=1) + "\n"


def render_github(diagnostics: Sequence[Diagnostic]) -> str:
    """Return one GitHub Actions workflow command per diagnostic: an annotation on the file's line."""
    lines = []
    for d in diagnostics:
        loc = d.location
        properties = [f"file={_property(loc.path)}"]
        if loc.line:
            properties.append(f"line={loc.line}")
        if loc.column:
            properties.append(f"col={loc.column}")
        properties.append(f"title={_property(f'{d.severity.value}[{d.code}]')}")
        text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
        lines.append(f"::{d.severity.value} {','.join(properties)}::{_data(text)}\n")
    return "".join(lines)


def _data(text: str) -> str:
    """Escape a workflow command's message as the Actions runner unescapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a workflow command's property value (a path, a title): `:` and `,` end one."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_sarif(diagnostics: Sequence[Diagnostic]) -> str:
    """Return a SARIF 2.1.0 log of one run: a rule per code, a result per diagnostic."""
    codes = sorted({d.code for d in diagnostics})
    index = {code: n for n, code in enumerate(codes)}
    driver = {"name": TOOL, "informationUri": TOOL_URI, "version": _version(),
              "rules": [{"id": code, "name": code} for code in codes]}
    run = {"tool": {"driver": driver}, "columnKind": "unicodeCodePoints",
           "originalUriBaseIds": {"SRCROOT": {"description": {"text": "the folder the command ran in"}}},
           "results": [_result(d, index[d.code]) for d in diagnostics]}
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, ensure_ascii=False, indent=1) + "\n"


def _result(d: Diagnostic, rule: int) -> dict[str, object]:
    loc = d.location
    physical: dict[str, object] = {"artifactLocation": {"uri": quote(loc.path), "uriBaseId": "SRCROOT"}}
    if loc.line:
        region: dict[str, int] = {"startLine": loc.line}
        if loc.column:
            region["startColumn"] = loc.column
        physical["region"] = region
    text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    result: dict[str, object] = {"ruleId": d.code, "ruleIndex": rule, "level": d.severity.value,
                                 "message": {"text": text}, "locations": [{"physicalLocation": physical}]}
    if d.hint:
        result["properties"] = {"hint": d.hint}
    return result


def _version() -> str:
    try:
        return metadata.version("clinics-digests")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
