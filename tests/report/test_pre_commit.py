"""The hook of .pre-commit-hooks.yaml, run by pre-commit (from the lock) in throw-away git repositories.

A repository of the hooks holds this project's .pre-commit-hooks.yaml as it is; a repository of
digests names it in its .pre-commit-config.yaml by path and commit, as it would name this project
on GitHub. Nothing needs the network: the hook's language is `system`, so pre-commit installs
nothing, and runs the `clinics` of this environment.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DIGESTS, ROOT

BIN = Path(sys.executable).parent


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.email=tests@example.org", "-c", "user.name=tests", *args],
                          cwd=folder, check=True, capture_output=True, text=True).stdout.strip()


def _pre_commit(folder: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
           "PRE_COMMIT_COLOR": "never", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(BIN / "pre-commit"), *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=300)


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path]:
    """Return a repository of digests whose config uses the hooks repository, and pre-commit's home."""
    if not (BIN / "clinics").exists():
        pytest.fail(f"no clinics command in {BIN}: install the project (make) first")
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    shutil.copy(ROOT / ".pre-commit-hooks.yaml", hooks)
    _git(hooks, "init", "-q", "-b", "main")
    _git(hooks, "add", ".")
    _git(hooks, "commit", "-q", "-m", "hooks")
    rev = _git(hooks, "rev-parse", "HEAD")
    work = tmp_path / "work"
    shutil.copytree(DIGESTS, work / "digests")
    (work / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hooks}\n    rev: {rev}\n    hooks:\n      - id: clinics-check\n", encoding="utf-8")
    _git(work, "init", "-q", "-b", "main")
    _git(work, "add", ".")
    _git(work, "commit", "-q", "-m", "digests")
    return work, tmp_path / "pre-commit-home"


def test_the_hook_passes_clean_digests_and_stops_a_broken_one(repos: tuple[Path, Path]) -> None:
    work, home = repos
    clean = _pre_commit(work, home, "run", "--all-files")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "clinics check" in clean.stdout and "Passed" in clean.stdout

    digest = work / "digests" / "001.md"
    digest.write_text(digest.read_text(encoding="utf-8").replace("date: 2020-", "date: 2020-13-", 1), encoding="utf-8")
    _git(work, "add", "digests/001.md")
    broken = _pre_commit(work, home, "run")  # on the staged files, as `git commit` runs it
    assert broken.returncode == 1
    assert "Failed" in broken.stdout
    assert "digests/001.md:" in broken.stdout and "error[" in broken.stdout and "hint:" in broken.stdout


def test_the_hook_runs_only_when_digests_or_templates_change(repos: tuple[Path, Path]) -> None:
    work, home = repos
    (work / "notes.txt").write_text("not a digest\n", encoding="utf-8")
    _git(work, "add", "notes.txt")
    other = _pre_commit(work, home, "run")
    assert other.returncode == 0
    assert "(no files to check)Skipped" in other.stdout.replace(".", "")
