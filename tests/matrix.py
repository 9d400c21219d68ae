"""Run the test suite against the oldest and the newest version of each library pyproject.toml allows.

`make test` runs the suite against requirements.lock only. This script (`make test-matrix`) takes the
ranges of markdown, premailer, cssutils, lxml, jinja2 and pyyaml from pyproject.toml, asks the registry
(`pip index versions`) for the oldest and the newest release each range allows, and runs the whole
suite once per combination, each in a throw-away virtual environment:

- NAME oldest, NAME newest: that one library at that version, everything else as locked;
- all newest: every one of them at its newest version together.

A combination identical to the lock is listed as such and not run again: `make test` covers it. Each
environment is the lock installed with `--require-hashes` minus the overridden entries, the overrides
installed with `--no-deps`, and the project itself in editable mode; everything pip and pytest print goes
to build/matrix/COMBINATION.log. One line is printed per combination as it finishes, then "N of M
combinations pass"; the exit status is 1 if any failed (an install that fails is a failure), 0 otherwise.

    .venv/bin/python tests/matrix.py                       # the whole matrix
    .venv/bin/python tests/matrix.py --list                # the combinations, without running them
    .venv/bin/python tests/matrix.py --only lxml --jobs 2  # both lxml combinations, two at a time
    .venv/bin/python tests/matrix.py --only pyyaml-oldest --pytest-args "-x tests/model/test_model.py"

`--only` takes a library's name (its two combinations), `all` (the all-newest one) or a combination's
name as in its log file (`lxml-oldest`). This file's name does not start with test_: pytest never collects it.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import IO, Callable, Iterator, Sequence

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements.lock"
LOGS = ROOT / "build" / "matrix"

# The libraries whose whole range is tested, in the order the lines are printed.
LIBRARIES = ("markdown", "premailer", "cssutils", "lxml", "jinja2", "pyyaml")
MAX_JOBS = 2  # a combination's suite keeps a core busy; this machine has two
PIP = ("-m", "pip", "--disable-pip-version-check", "--no-input")
PYTEST = ("-m", "pytest", "-q", "-p", "no:cacheprovider")

# The first line of a lock entry: `name==version \` (pip-compile --strip-extras writes no extras).
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")
# pytest's last line: "1002 passed, 3 skipped in 61.20s (0:01:01)", between "=" signs unless -q.
SUMMARY = re.compile(r"^=*\s*(.*?\bin [0-9.]+s\b(?: \([0-9:]+\))?)\s*=*$")
SUMMARY_WORDS = re.compile(r"\b(passed|failed|errors?|skipped|xfailed|xpassed|deselected|warnings?|no tests ran)\b")


class MatrixError(Exception):
    """A problem that stops the matrix before anything runs (the message says what)."""


class Interrupted(Exception):
    """Ctrl-C arrived: the combination stops at the step it was in."""


@dataclass(frozen=True)
class Combination:
    """One environment to test: the lock with some libraries moved to other versions."""

    library: str  # a library's name, or "all"
    kind: str  # "oldest" or "newest"
    overrides: dict[NormalizedName, Version]  # only the versions that differ from the lock

    @property
    def name(self) -> str:
        """Return the name of the log file, and of the combination for --only: `lxml-oldest`."""
        return f"{self.library}-{self.kind}"

    @property
    def log(self) -> Path:
        """Return the file that receives what pip and pytest print."""
        return LOGS / f"{self.name}.log"


@dataclass
class Outcome:
    """What running a combination came to: a pass or a failure, with pytest's summary or the reason."""

    passed: bool
    detail: str


@dataclass
class Runner:
    """Runs the child processes of every combination, and stops them all on Ctrl-C."""

    pytest_args: list[str]
    stopping: threading.Event = field(default_factory=threading.Event)
    children: set[subprocess.Popen[bytes]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # setuptools' editable build writes clinics_digests.egg-info in the project: one at a time.
    editable: threading.Lock = field(default_factory=threading.Lock)

    def stop(self) -> None:
        """Make every running combination stop: no new step starts, and running children are ended."""
        self.stopping.set()
        with self.lock:
            for child in self.children:
                if child.poll() is None:
                    child.terminate()

    def step(self, log: IO[bytes], title: str, command: Sequence[str | Path],
             env: dict[str, str] | None = None) -> int:
        """Run `command` from the project root with its output appended to `log`; return its exit status."""
        if self.stopping.is_set():
            raise Interrupted
        args = [str(part) for part in command]
        log.write(f"\n### {title}\n$ {shlex.join(args)}\n".encode())
        log.flush()
        start = time.monotonic()
        with self.lock:  # stop() takes the lock too: a child either starts before it, and is ended, or not at all
            if self.stopping.is_set():
                raise Interrupted
            child = subprocess.Popen(args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
            self.children.add(child)
        try:
            status = child.wait()
        finally:
            with self.lock:
                self.children.discard(child)
        log.write(f"### exit status {status} after {time.monotonic() - start:.1f}s\n".encode())
        log.flush()
        if self.stopping.is_set():
            raise Interrupted
        return status

    def run(self, combination: Combination) -> Outcome:
        """Build the combination's environment in a temporary directory, run the suite in it, remove it."""
        LOGS.mkdir(parents=True, exist_ok=True)
        where = combination.log.relative_to(ROOT)
        combination.log.write_bytes(b"")
        # Appending, since the children write to the same file: the offsets of both then stay right.
        with combination.log.open("ab") as log, tempfile.TemporaryDirectory(prefix="clinics-matrix-") as temp:
            log.write(f"# {combination.name}: {describe(combination.overrides)}, everything else as locked\n".encode())
            venv = Path(temp) / "venv"
            python = venv / "bin" / "python"
            lock = Path(temp) / "requirements.lock"
            lock.write_text(without(LOCK.read_text(encoding="utf-8"), set(combination.overrides)), encoding="utf-8")
            if self.step(log, "environment", [base_python(), "-m", "venv", venv]) != 0:
                return Outcome(False, f"python -m venv failed (see {where})")
            if self.step(log, "the lock, without the overridden entries",
                         [python, *PIP, "install", "--require-hashes", "--no-deps", "-r", lock]) != 0:
                return Outcome(False, f"install of the lock failed (see {where})")
            for name, version in combination.overrides.items():
                if self.step(log, f"{name} {version}", [python, *PIP, "install", "--no-deps", f"{name}=={version}"]) != 0:
                    return Outcome(False, f"install of {name}=={version} failed (see {where})")
            with self.editable:
                status = self.step(log, "the project", [python, *PIP, "install", "--no-deps", "--no-build-isolation",
                                                        "-e", ROOT])
            if status != 0:
                return Outcome(False, f"install of the project failed (see {where})")
            start = log.tell()
            # The environment passes through (CLINICS_REQUIRE_ALL …), with the venv first on PATH, as if activated.
            path = f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"
            env = {**os.environ, "VIRTUAL_ENV": str(venv), "PATH": path}
            status = self.step(log, "the suite", [python, *PYTEST, *self.pytest_args], env)
        with combination.log.open("rb") as log:
            log.seek(start)
            summary = pytest_summary(log.read().decode(errors="replace"))
        if status == 0:
            return Outcome(True, summary or "passed (pytest printed no summary)")
        return Outcome(False, f"{summary or f'pytest exited with status {status}'} (see {where})")


def base_python() -> str:
    """Return the interpreter that created .venv (the base of the one running this script)."""
    return str(getattr(sys, "_base_executable", None) or sys.executable)


def describe(overrides: dict[NormalizedName, Version]) -> str:
    """Return `a==1, b==2` for the overridden versions, or `the lock` when there are none."""
    return ", ".join(f"{name}=={version}" for name, version in overrides.items()) or "the lock"


def ranges() -> dict[NormalizedName, SpecifierSet]:
    """Return the range [project].dependencies gives each library of LIBRARIES."""
    with PYPROJECT.open("rb") as file:
        dependencies = tomllib.load(file)["project"]["dependencies"]
    found = {canonicalize_name(req.name): req.specifier for req in map(Requirement, dependencies)}
    wanted = [canonicalize_name(name) for name in LIBRARIES]
    missing = [name for name in wanted if name not in found]
    if missing:
        raise MatrixError(f"not in [project].dependencies of {PYPROJECT}: {', '.join(missing)}")
    return {name: found[name] for name in wanted}


def locked() -> dict[NormalizedName, Version]:
    """Return the version requirements.lock pins for each package it names."""
    pins: dict[NormalizedName, Version] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            pins[canonicalize_name(match[1])] = Version(match[2])
    return pins


def without(lock: str, names: set[NormalizedName]) -> str:
    """Return the lock's text without the entries of `names`.

    An entry is its `name==version \\` line and the indented lines after it: the `--hash=` continuations
    and the `# via` comments. Every other line (the header, blank lines) stays.
    """
    kept: list[str] = []
    dropping = False
    for line in lock.splitlines(keepends=True):
        if not line.startswith((" ", "\t")):
            match = ENTRY.match(line)
            dropping = match is not None and canonicalize_name(match[1]) in names
        if not dropping:
            kept.append(line)
    return "".join(kept)


def available(name: str) -> list[Version]:
    """Return the final releases of `name` the registry offers, from `pip index versions`."""
    proc = subprocess.run([sys.executable, *PIP, "index", "versions", name], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("Available versions:")]
    if proc.returncode != 0 or not lines:
        # stderr also holds pip's harmless "WARNING: Location ... is ignored" lines: show the last lines only.
        said = "\n".join(proc.stderr.strip().splitlines()[-3:])
        raise MatrixError(f"pip index versions {name} found no versions (exit status {proc.returncode})\n{said}")
    versions: list[Version] = []
    for text in lines[0].partition(":")[2].split(","):
        try:
            version = Version(text.strip())
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append(version)
    return sorted(versions)


def combinations() -> list[Combination]:
    """Return every combination: each library at its oldest and newest allowed version, then all newest."""
    pins = locked()
    result: list[Combination] = []
    newest: dict[NormalizedName, Version] = {}
    for name, specifier in ranges().items():
        if name not in pins:
            raise MatrixError(f"{name} is not in {LOCK.name}")
        allowed = [version for version in available(name) if specifier.contains(version)]
        if not allowed:
            raise MatrixError(f"no release of {name} fits {name}{specifier}")
        newest[name] = allowed[-1]
        for kind, version in (("oldest", allowed[0]), ("newest", allowed[-1])):
            result.append(Combination(name, kind, {name: version} if version != pins[name] else {}))
    result.append(Combination("all", "newest", {name: v for name, v in newest.items() if v != pins[name]}))
    return result


def select(every: list[Combination], only: list[str]) -> list[Combination]:
    """Return the combinations `--only` names (a library, `all`, or a combination's name), in order."""
    if not only:
        return every
    wanted = {name.lower() for name in only}
    known = {c.library for c in every} | {c.name for c in every}
    unknown = sorted(wanted - known)
    if unknown:
        raise MatrixError(f"--only {', '.join(unknown)}: not one of {', '.join(sorted(known))}")
    return [c for c in every if c.library in wanted or c.name in wanted]


def version_of(combination: Combination, pins: dict[NormalizedName, Version]) -> str:
    """Return what the version column shows: the library's version, or the kind for `all`."""
    if combination.library == "all":
        return combination.kind
    name = canonicalize_name(combination.library)
    return str(combination.overrides.get(name, pins[name]))


def pytest_summary(output: str) -> str:
    """Return pytest's final summary ("1002 passed in 61.20s"), or "" when the output has none."""
    for line in reversed(output.splitlines()):
        match = SUMMARY.match(line.strip())
        if match and SUMMARY_WORDS.search(match[1]):
            return match[1]
    return ""


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """Return the command line's options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="run only this library's combinations, `all`, or one combination (`lxml-oldest`); "
                             "repeatable")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help=f"run N combinations at a time (default 1, at most {MAX_JOBS})")
    parser.add_argument("--pytest-args", default="", metavar="ARGS",
                        help='more arguments for pytest, as one string: "-x tests/model/test_model.py"')
    parser.add_argument("--list", action="store_true", help="print the combinations without running them")
    options = parser.parse_args(argv)
    if not 1 <= options.jobs <= MAX_JOBS:
        parser.error(f"--jobs must be between 1 and {MAX_JOBS}")
    return options


def matrix(options: argparse.Namespace, runner: Runner) -> int:
    """Print or run the selected combinations, one line each, then the summary; return the exit status."""
    every = combinations()
    chosen = select(every, options.only)
    pins = locked()
    widths = (max(len(c.library) for c in every) + 3, max(len(version_of(c, pins)) for c in every) + 2, 9)

    def line(combination: Combination, status: str) -> None:
        """Print the combination's line: library, version, kind, then `status`."""
        kind = "" if combination.library == "all" else combination.kind
        columns = (combination.library, version_of(combination, pins), kind)
        print("".join(text.ljust(width) for text, width in zip(columns, widths)) + status, flush=True)

    # The lines come in the order of `chosen`, each as soon as it and every one before it is known.
    statuses: dict[int, str] = {}
    shown = 0

    def show(index: int, status: str) -> None:
        """Record the status of chosen[index], then print every line that is now due."""
        nonlocal shown
        statuses[index] = status
        while shown in statuses:
            line(chosen[shown], statuses.pop(shown))
            shown += 1

    to_run = [index for index, c in enumerate(chosen) if c.overrides]
    with contextlib.nullcontext() if options.list else exclusive():
        for index, combination in enumerate(chosen):
            if not combination.overrides:
                show(index, "same as the lock (covered by `make test`)")
            elif options.list:
                show(index, f"to run: {describe(combination.overrides)}")
        if options.list:
            return 0
        passed = run_all(chosen, to_run, options.jobs, runner, show)
    same = len(chosen) - len(to_run)
    print(f"\n{passed} of {len(to_run)} combinations pass"
          + (f" ({same} more {'is' if same == 1 else 'are'} the same as the lock)" if same else ""))
    return 0 if passed == len(to_run) else 1


@contextlib.contextmanager
def exclusive() -> Iterator[None]:
    """Hold build/matrix/.lock while running: two runs at once would write the same logs."""
    LOGS.mkdir(parents=True, exist_ok=True)
    with (LOGS / ".lock").open("w") as held:
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MatrixError(f"another run of the matrix is writing {LOGS.relative_to(ROOT)}: wait for it") from None
        yield


def run_all(chosen: list[Combination], to_run: list[int], jobs: int, runner: Runner,
            show: Callable[[int, str], None]) -> int:
    """Run chosen[i] for each i of `to_run`, `jobs` at a time, showing each outcome; return how many pass."""
    passed = 0
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        pending: dict[Future[Outcome], int] = {pool.submit(runner.run, chosen[index]): index for index in to_run}
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    passed += outcome.passed
                    show(pending.pop(future), f"{'PASS' if outcome.passed else 'FAIL'}   {outcome.detail}")
        except BaseException:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut the clean-up short
            runner.stop()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return passed


def terminated(signum: int, frame: FrameType | None) -> None:
    """Take SIGTERM as Ctrl-C, so that a killed run also ends its children and removes its environments."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the matrix from the command line; Ctrl-C stops every combination and exits with status 130."""
    options = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, terminated)
    runner = Runner(shlex.split(options.pytest_args))
    try:
        return matrix(options, runner)
    except MatrixError as error:
        print(f"matrix: error: {error}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Interrupted):
        print("\nmatrix: interrupted; the temporary environments are removed", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
