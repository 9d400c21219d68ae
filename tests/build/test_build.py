"""`build` and `new`: outputs, nothing written on error, reproducibility, the Makefile."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT, digest_text, run_cli


def tree_bytes(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".lock"}


def test_build_writes_the_model_of_every_version(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run_cli("build", "--digests", example, "--out", out, "--today", "2026-01-01")
    assert result.status == 0, result.err
    model = json.loads((out / "model" / "006.es.json").read_text(encoding="utf-8"))
    assert model["number"] == 6 and model["language"] == "es" and model["call_language"] == "es"
    assert [t["title"] for t in model["topics"]] == [
        "Introducción", "Impacto de la pandemia en los afiliados", "Apoyo que se necesita de la Fundación"]
    assert model["topics"][1]["heading"] == ["h2", {}, "Impacto de la pandemia en los afiliados"]
    assert sorted(p.name for p in (out / "model").iterdir()) == [
        "001.json", "002.json", "003.json", "004.json", "005.json", "006.en.json", "006.es.json",
        "007.json", "008.json", "009.json"]


def test_build_writes_nothing_when_there_is_an_error(scratch: Path, tmp_path: Path) -> None:
    (scratch / "001.md").write_text(digest_text(1), encoding="utf-8")
    (scratch / "002.md").write_text("---\nnumber: 2\ndate: 2020-02-30\n---\n## T\n\nx\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run_cli("build", "--digests", scratch, "--out", out)
    assert result.status == 1
    assert "error[bad-date]" in result.err and "nothing was written" in result.err
    assert not out.exists()


def test_two_builds_are_byte_identical(example: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert run_cli("build", "--digests", example, "--out", first).status == 0
    assert run_cli("build", "--digests", example, "--out", second).status == 0
    assert tree_bytes(first) == tree_bytes(second)


def test_outputs_of_a_removed_digest_are_removed(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    (example / "009.md").unlink()
    assert run_cli("build", "--digests", example, "--out", out).status == 0
    assert not (out / "model" / "009.json").exists()
    assert (out / "model" / "008.json").exists()


def test_sources_are_never_modified(example: Path, tmp_path: Path) -> None:
    before = tree_bytes(example)
    assert run_cli("build", "--digests", example, "--out", tmp_path / "out").status == 0
    assert tree_bytes(example) == before


def test_new_scaffolds_a_draft_that_checks(scratch: Path) -> None:
    result = run_cli("new", "12", "--digests", scratch, "--date", "2020-10-27", cwd=scratch.parent)
    assert result.status == 0, result.err
    text = (scratch / "012.md").read_text(encoding="utf-8")
    assert text.startswith("---\nnumber: 12\ndate: 2020-10-27\nlanguage: en\n")
    assert "status: draft" in text
    check = run_cli("check", "--digests", scratch, "--today", "2020-10-28", cwd=scratch.parent)
    assert check.status == 0, check.err


def test_new_never_overwrites(scratch: Path) -> None:
    (scratch / "012.md").write_text("precious notes", encoding="utf-8")
    result = run_cli("new", "012", "--digests", scratch, cwd=scratch.parent)
    assert result.status == 1
    assert "already exists" in result.err
    assert (scratch / "012.md").read_text(encoding="utf-8") == "precious notes"


def test_new_with_a_language_names_the_version(scratch: Path) -> None:
    assert run_cli("new", "006", "--lang", "es", "--digests", scratch, cwd=scratch.parent).status == 0
    assert (scratch / "006.es.md").read_text(encoding="utf-8").count("language: es") == 1
    bad = run_cli("new", "007", "--lang", "fr", "--digests", scratch, cwd=scratch.parent)
    assert bad.status == 1 and "language 'fr' is not in" in bad.err


def test_make_twice_does_nothing_the_second_time(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    clone.mkdir()
    for name in ("pipeline", "digests", "templates"):  # copytree keeps mtimes, so .venv stays current
        shutil.copytree(ROOT / name, clone / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml", "requirements.lock"):
        shutil.copy2(ROOT / name, clone / name)
    (clone / ".venv").symlink_to(ROOT / ".venv")
    first = subprocess.run(["make", "OUT=" + str(tmp_path / "out")], cwd=clone, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(["make", "-q", "OUT=" + str(tmp_path / "out")], cwd=clone, capture_output=True)
    assert second.returncode == 0  # -q: "up to date", nothing would run
