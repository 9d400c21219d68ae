"""The output folder is the tool's own, but never trusted blindly: what a planted or damaged file there can do.

A planted manifest entry deletes nothing outside its stage's folder; a planted or damaged cache is
never unpickled (it means a full build and a one-line note); a lock that is a symbolic link is
refused; and --out may not be, hold or lie inside the digests or the templates.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, TEMPLATES, run_cli
from pipeline.build.cache import CACHE_FILE

TODAY = "2026-01-01"


def build(example: Path, out: Path, *extra: str | Path):
    return run_cli("build", "--digests", example, "--out", out, "--today", TODAY, *extra)


def outputs(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)}


@pytest.mark.parametrize("entry", ["../digests/001.md", "email/../../digests/001.md", "/etc/hostname",
                                   "wiki/../../digests/002.md"])
def test_a_planted_manifest_entry_deletes_no_source(example: Path, tmp_path: Path, entry: str) -> None:
    out = tmp_path / "out"
    assert build(example, out).status == 0
    manifest = json.loads((out / ".manifest.json").read_text(encoding="utf-8"))
    manifest["wiki"].append(entry)
    manifest["emails"].append(entry)
    (out / ".manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    sources = {p.name: p.read_bytes() for p in example.glob("*.md")}
    result = build(example, out)
    assert result.status == 0, result.err
    assert {p.name: p.read_bytes() for p in example.glob("*.md")} == sources
    assert f"names '{entry}', which is not a file of the" in result.err
    assert "Traceback" not in result.err


def test_a_manifest_entry_through_a_symlinked_folder_deletes_nothing_outside(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(example, out).status == 0
    (out / "wiki" / "elsewhere").symlink_to(example, target_is_directory=True)
    manifest = json.loads((out / ".manifest.json").read_text(encoding="utf-8"))
    manifest["wiki"].append("wiki/elsewhere/001.md")
    (out / ".manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = build(example, out)
    assert result.status == 0, result.err
    assert (example / "001.md").exists()
    assert "names 'wiki/elsewhere/001.md'" in result.err


def test_a_manifest_of_another_shape_keeps_every_file(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(example, out).status == 0
    (out / ".manifest.json").write_text('["../digests/001.md"]', encoding="utf-8")
    result = build(example, out)
    assert result.status == 0 and "is not a manifest" in result.err
    assert (example / "001.md").exists()


class _Planted:
    """Unpickled, it would run a command that leaves a mark."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (os.system, (f"touch {self.mark}",))


def test_a_planted_cache_is_never_unpickled(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(example, out).status == 0
    before = outputs(out)
    mark = tmp_path / "it-ran"
    for payload in (pickle.dumps(_Planted(mark)), b"clinics-cache\n" + b"\0" * 32 + pickle.dumps(_Planted(mark))):
        (out / CACHE_FILE).write_bytes(payload)
        proc = subprocess.run([sys.executable, "-m", "pipeline", "build", "--digests", str(example), "--out",
                               str(out), "--today", TODAY], cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
        assert not mark.exists(), "the planted cache ran its command"
        assert "was not written by a build of yours, or is damaged: building everything anew" in proc.stderr
        assert "10 digests parsed" in proc.stderr
        assert outputs(out) == before
    quiet = build(example, out)  # the build wrote a cache of its own again
    assert quiet.status == 0 and "note" not in quiet.err and "0 digests parsed" in quiet.err


def test_a_cache_made_with_another_key_is_not_used(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "CLINICS_CACHE_KEY": str(tmp_path / "another-key")}
    other = subprocess.run([sys.executable, "-m", "pipeline", "build", "--digests", str(example), "--out", str(out),
                            "--today", TODAY], cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    assert other.returncode == 0, other.stderr
    result = build(example, out)
    assert result.status == 0 and "building everything anew" in result.err


def test_a_lock_that_is_a_symlink_is_refused_and_its_target_untouched(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me", encoding="utf-8")
    (out / ".lock").symlink_to(precious)
    result = build(example, out)
    assert result.status == 1
    assert f"'{out / '.lock'}' is a symbolic link, not the build's lock file" in result.err
    assert "hint: remove it" in result.err
    assert precious.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in out.iterdir()) == [".lock"]


@pytest.mark.parametrize("where", ["digests", "digests/build", "parent", "templates"])
def test_out_may_not_overlap_the_sources(example: Path, tmp_path: Path, where: str) -> None:
    out = {"digests": example, "digests/build": example / "build", "parent": example.parent,
           "templates": TEMPLATES}[where]
    before = sorted(p for p in example.parent.rglob("*"))
    templates = sorted(TEMPLATES.rglob("*"))
    result = build(example, out)
    assert result.status == 2, result.err
    assert "overlaps the source folder" in result.err or "is the source folder" in result.err
    assert "hint: build into a folder of its own" in result.err
    assert sorted(p for p in example.parent.rglob("*")) == before
    assert sorted(TEMPLATES.rglob("*")) == templates
