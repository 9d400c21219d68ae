"""Golden cases: tests/cases/<name>/digests/ in, tests/cases/<name>/expected/ out, byte for byte.

Each case is built with the project's site.yaml, catalog.yaml and templates. `make golden`
(CLINICS_GOLDEN=rewrite) writes the expected files anew from what the pipeline makes now;
the diff is then reviewed like code.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT, run_cli

CASES = ROOT / "tests" / "cases"
KEPT = ("email/*.txt", "email/*.html", "email/*/*.eml", "wiki/*.wiki")  # the outputs a golden case holds
REWRITE = os.environ.get("CLINICS_GOLDEN") == "rewrite"


def built(case: Path, tmp_path: Path) -> dict[str, bytes]:
    folder = tmp_path / "digests"
    shutil.copytree(case / "digests", folder)
    for name in ("site.yaml", "catalog.yaml"):
        if not (folder / name).exists():
            shutil.copy(DIGESTS / name, folder / name)
    out = tmp_path / "out"
    result = run_cli("build", "--digests", folder, "--out", out, "--today", "2026-01-01")
    assert result.status == 0, result.err
    return {str(p.relative_to(out)): p.read_bytes() for pattern in KEPT for p in sorted(out.glob(pattern))}


@pytest.mark.parametrize("name", sorted(p.name for p in CASES.iterdir() if (p / "digests").is_dir()))
def test_golden_case(name: str, tmp_path: Path) -> None:
    case = CASES / name
    made = built(case, tmp_path)
    expected_folder = case / "expected"
    if REWRITE:
        shutil.rmtree(expected_folder, ignore_errors=True)
        for path, data in made.items():
            (expected_folder / path).parent.mkdir(parents=True, exist_ok=True)
            (expected_folder / path).write_bytes(data)
    expected = {str(p.relative_to(expected_folder)): p.read_bytes()
                for p in sorted(expected_folder.rglob("*")) if p.is_file()}
    assert sorted(made) == sorted(expected), "outputs added or missing: run `make golden` and review the diff"
    for path in expected:
        assert made[path].decode("utf-8") == expected[path].decode("utf-8"), path
