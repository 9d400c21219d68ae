"""Shared test helpers: a scratch archive beside the real settings, and the CLI in-process."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import hypothesis
import pytest

ROOT = Path(__file__).resolve().parent.parent
DIGESTS = ROOT / "digests"
TEMPLATES = ROOT / "templates"
REQUIRE_ALL = os.environ.get("CLINICS_REQUIRE_ALL") == "1"
# The build cache's key (pipeline.build.cache): the tests' own, never the user's; child processes inherit it.
os.environ.setdefault("CLINICS_CACHE_KEY", str(Path(tempfile.mkdtemp(prefix="clinics-tests-")) / "cache-key"))

# Property tests draw the same examples on every run, so that CI fails (or passes) for everyone alike.
hypothesis.settings.register_profile("clinics", derandomize=True, database=None)
hypothesis.settings.load_profile("clinics")


def need(available: bool, reason: str) -> None:
    """Skip with `reason` on a developer's machine; fail in CI, where every program must be there."""
    if available:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@dataclass
class Result:
    status: int
    out: str
    err: str


def run_cli(*args: str | Path, cwd: Path | None = None) -> Result:
    """Run `python -m pipeline ARGS` in a child process, as a user would."""
    proc = subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    """Return an empty digests folder holding the project's site.yaml and catalog.yaml."""
    folder = tmp_path / "digests"
    folder.mkdir()
    shutil.copy(DIGESTS / "site.yaml", folder / "site.yaml")
    shutil.copy(DIGESTS / "catalog.yaml", folder / "catalog.yaml")
    return folder


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """Return a copy of the example archive."""
    folder = tmp_path / "digests"
    shutil.copytree(DIGESTS, folder)
    return folder


FRONT = "---\nnumber: {n}\ndate: 2020-06-15\n---\n"
BODY = "## A topic\n\n* Volunteer:\n    * A question.\n"


def digest_text(number: int = 1, front: str = "", body: str = BODY) -> str:
    """Return a small valid digest, with extra front-matter lines and another body if given."""
    return f"---\nnumber: {number}\ndate: 2020-06-15\n{front}---\n{body}"


def check(folder: Path, today: str = "2026-01-01", ignore: tuple[str, ...] = ("uncited-entry",)) -> list[str]:
    """Return the formatted diagnostics of `folder`, sorted as the CLI prints them."""
    import datetime as dt

    from pipeline.check.archive import load_archive
    from pipeline.model.diagnostics import Diagnostic

    archive = load_archive(folder, TEMPLATES, dt.date.fromisoformat(today))
    found = sorted(dict.fromkeys(archive.diagnostics), key=Diagnostic.sort_key)
    return [d.format().replace(str(folder.parent) + "/", "") for d in found if d.code not in ignore]


# Mutation testing (tests/mutate.py): the switch naming the active mutant, and what children called.
MUTANT_SWITCH = ("MUTANT_UNDER_TEST", "MUTMUT_DEPENDENCY_DEPTH", "CLINICS_MUTMUT_HITS")


def mutant_switch() -> dict[str, str]:
    """Return the variables a child process needs to run mutmut's active mutant (none outside mutmut)."""
    return {name: os.environ[name] for name in MUTANT_SWITCH if name in os.environ}


def _mapping_calls() -> bool:
    return os.environ.get("MUTANT_UNDER_TEST") == "stats"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _mapping_calls():
        hits = Path(tempfile.gettempdir()) / f"clinics-mutmut-hits-{os.getpid()}"
        hits.write_text("", encoding="utf-8")
        os.environ["CLINICS_MUTMUT_HITS"] = str(hits)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Hand mutmut the functions this test's child processes called (tests/mutant_child.py wrote them)."""
    hits = os.environ.get("CLINICS_MUTMUT_HITS")
    if not (_mapping_calls() and hits and os.path.exists(hits)):
        return
    from mutmut.stats import record_trampoline_hit

    for name in set(Path(hits).read_text(encoding="utf-8").split()):
        record_trampoline_hit(name)
    Path(hits).write_text("", encoding="utf-8")
