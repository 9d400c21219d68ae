"""No command loses work: interrupted and concurrent builds, sources never touched, safe paths."""
from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, run_cli

from pipeline.build.staging import PAUSE_BEFORE_COMMIT


def snapshot(folder: Path) -> dict[str, bytes]:
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder)
        if path.is_file() and not any(part.startswith(".") for part in name.parts):
            found[str(name)] = path.read_bytes()
    return found


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from bench.corpus import write_corpus

    return write_corpus(tmp_path / "digests", 40)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_an_interrupted_build_leaves_the_previous_outputs(corpus: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    assert run_cli("build", "--digests", corpus, "--out", out).status == 0
    before = snapshot(out)
    for path in corpus.glob("*.md"):  # every digest changes, so every output would be rewritten
        path.write_text(path.read_text(encoding="utf-8") + "\n* Volunteer:\n    * A late addition.\n",
                        encoding="utf-8")
    paused = tmp_path / "paused"  # the build stops there, every output staged and none committed
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--digests", str(corpus), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, PAUSE_BEFORE_COMMIT: str(paused)})
    deadline = time.monotonic() + 120  # only a safety net: the build waits at the pause for the signal
    while not paused.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, f"the build ended before its pause: {proc.communicate()[1].decode()}"
    assert any(out.glob(".staging-*/*")), "nothing was staged at the pause"
    os.killpg(proc.pid, signum)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert b"Traceback" not in err
    assert snapshot(out) == before
    result = run_cli("build", "--digests", corpus, "--out", out)  # the next build completes the work
    assert result.status == 0, result.err
    assert not list(out.glob(".staging-*"))
    assert snapshot(out) != before


def test_a_second_build_is_refused_while_one_runs(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = run_cli("build", "--digests", example, "--out", out)
    assert result.status == 1
    assert result.err.strip() == (f"clinics: error: another build is writing to '{out}'; wait for it to finish, "
                                  "then run it again")
    assert [p.name for p in out.iterdir()] == [".lock"]


def test_concurrent_builds_leave_a_complete_tree(example: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    procs = [subprocess.Popen([sys.executable, "-m", "pipeline", "build", "--digests", str(example), "--out",
                               str(out)], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(3)]
    results = [(p.wait(timeout=120), p.communicate()[1].decode()) for p in procs]
    assert any(status == 0 for status, _ in results)
    for status, err in results:
        assert status == 0 or "another build is writing" in err
    reference = tmp_path / "reference"
    assert run_cli("build", "--digests", example, "--out", reference).status == 0
    assert snapshot(out) == snapshot(reference)


def test_a_failed_build_into_a_new_folder_creates_nothing(scratch: Path, tmp_path: Path) -> None:
    (scratch / "001.md").write_text("---\nnumber: 1\ndate: 2020-02-30\n---\n## T\n\nx\n", encoding="utf-8")
    result = run_cli("build", "--digests", scratch, "--out", tmp_path / "out")
    assert result.status == 1
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", ["../001.md", "001.../md", "001.en/../x.md", "1.md", "0001.md", "001.EN.md",
                                  "001.en-..md"])
def test_file_names_that_could_reach_other_paths_are_refused(scratch: Path, name: str) -> None:
    from pipeline.read.source import NAME

    assert NAME.match(Path(name).name) is None or Path(name).name != name


def test_yaml_is_only_read_safely() -> None:
    sources = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").rglob("*.py"))
    assert "yaml.load(" not in sources and "yaml.unsafe_load" not in sources and "FullLoader" not in sources
    assert "yaml.UnsafeLoader" not in sources
