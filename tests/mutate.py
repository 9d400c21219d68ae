"""Mutation testing of one module with mutmut: `make mutate MODULE=escape` (see README, "Mutation testing").

mutmut changes one operator, constant or call of the module at a time (a "mutant") and runs the tests that
reach the changed function; a mutant no test notices "survives". This script runs mutmut on one of the
modules below, with the tests that cover it, child-process tests included, and prints the score and every
survivor with its diff. Mutants listed in tests/equivalent-mutants.txt (same behaviour as the original,
each with the reason) count as killed; a listed mutant that no longer exists, or that a test now kills, is
named so that the list can be kept short.

Each module gets its own work folder, mutants/NAME/ (git-ignored): a pyproject.toml holding this run's
[tool.mutmut] section, links to the project's folders, and mutmut's copy of the project, mutants/NAME/mutants/,
from which the tests run. The copy is made afresh on every run, so that no result is stale.

Tests that run `python -m pipeline` in a child process see the mutant too: mutmut sets MUTANT_UNDER_TEST in
the environment, children inherit it (tests that build a clean environment pass it on with
conftest.mutant_switch()), and PYTHONPATH puts the mutated copy first. While mutmut maps tests to functions
("stats"), tests/mutant_child.py, installed as the copy's sitecustomize.py, reports the functions a child
called to the parent test (conftest.py adds them to mutmut's map), so a function reached only through a
child process is still tested.

    .venv/bin/python tests/mutate.py escape            # the wikitext escaping
    .venv/bin/python tests/mutate.py --list            # the modules and the tests each one runs
    .venv/bin/python tests/mutate.py plan --jobs 2     # two mutants at a time (default 1)
    .venv/bin/python tests/mutate.py plan --again      # only the last run's survivors, against today's tests

The exit status is 0 when the score is at least 95%, 1 otherwise (2 for a usage error). The work is slow on
purpose (every mutant runs its tests), so it is not part of `make test`. This file's name does not start with
test_: pytest never collects it.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EQUIVALENT = ROOT / "tests" / "equivalent-mutants.txt"
TARGET_SCORE = 95.0
# What the tests read from the project besides pipeline/ and tests/ (mutmut copies those itself).
ALSO_COPY = ("digests", "templates", "bench", "Makefile", "README.md", "requirements.lock")


@dataclass(frozen=True)
class Target:
    files: tuple[str, ...]        # the source files mutmut mutates
    mutants: tuple[str, ...]      # the mutant names (globs) that count for the score
    tests: tuple[str, ...]        # the tests that cover them
    what: str


TARGETS = {
    "escape": Target(
        ("pipeline/render/wiki/escape.py",), ("pipeline.render.wiki.escape.*",),
        ("tests/render/wiki", "tests/test_properties.py", "tests/test_injection.py", "tests/build/test_golden.py"),
        "the wikitext escaping"),
    "plan": Target(
        ("pipeline/deliver/wiki/plan.py",), ("pipeline.deliver.wiki.plan.*",),
        ("tests/deliver/test_publish.py", "tests/deliver/test_publish_conflicts.py", "tests/deliver/test_plan.py"),
        "the publish plan"),
    "text": Target(
        ("pipeline/render/email/text.py",), ("pipeline.render.email.text.*",),
        ("tests/render/email/test_email_text.py", "tests/render/email/test_email_message.py",
         "tests/render/email/test_text_mutants.py", "tests/test_injection.py", "tests/build/test_golden.py"),
        "the text email"),
    "catalog": Target(
        ("pipeline/read/catalog.py", "pipeline/model/catalog.py"),
        ("pipeline.read.catalog.*", "pipeline.model.catalog.*"),
        ("tests/read", "tests/check", "tests/model"),
        "the catalog"),
    "sentlog": Target(
        ("pipeline/deliver/mail.py",), ("pipeline.deliver.mail.xǁSentLogǁ*",),
        ("tests/deliver/test_sent_log.py", "tests/deliver/test_mail.py", "tests/deliver/test_sent_log_faults.py"),
        "the sent log (SentLog in deliver/mail.py)"),
    "schema": Target(
        ("pipeline/read/yamldata.py",), ("pipeline.read.yamldata.*",),
        ("tests/read", "tests/check/test_bad_corpus.py", "tests/check/test_check.py"),
        "the settings schema layer (read/yamldata.py)"),
}

KILLED = {1, 3}
TIMEOUT = {-24, 24, 152, 255, 36}
SURVIVED = {0}
NO_TESTS = {5, 33}


def mutmut_config(target: Target) -> str:
    """Return this run's [tool.mutmut] section."""
    def toml_list(items: tuple[str, ...] | list[str]) -> str:
        return "[" + ", ".join(json.dumps(item) for item in items) + "]"
    tests = [t for t in target.tests if (ROOT / t).exists()]
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["pipeline"]\n'
        f"only_mutate = {toml_list(target.files)}\n"
        f"also_copy = {toml_list(ALSO_COPY)}\n"
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
        "use_git_change_detection = false\n"
        # A mutant that loops for ever is stopped after 8 times the CPU its tests take, not mutmut's 30.
        "timeout_multiplier = 4.0\n")


def prepare(name: str, target: Target) -> Path:
    """Return a fresh work folder for `name`, mutmut's configuration and the child hook in place."""
    work = ROOT / "mutants" / name
    shutil.rmtree(work, ignore_errors=True)
    (work / "mutants").mkdir(parents=True)
    for entry in ("pipeline", "tests", *ALSO_COPY):
        (work / entry).symlink_to(ROOT / entry)
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    (work / "pyproject.toml").write_text(pyproject + mutmut_config(target), encoding="utf-8")
    shutil.copy(ROOT / "tests" / "mutant_child.py", work / "mutants" / "sitecustomize.py")
    return work


def environment(work: Path) -> dict[str, str]:
    """Return mutmut's environment: the mutated copy first on children's path, the wiki script found."""
    env = {**os.environ, "PYTHONPATH": str(work / "mutants")}
    env.setdefault("CLINICS_REQUIRE_ALL", "1")  # the real MediaWiki and Chromium tests run, or the run fails
    env.setdefault("CLINICS_MEDIAWIKI_SCRIPT", str(ROOT.parent / "shared" / "tools" / "mediawiki-local.sh"))
    return env


def equivalents() -> dict[str, str]:
    """Return the listed equivalent mutants, name → why."""
    found: dict[str, str] = {}
    for line in EQUIVALENT.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, why = line.partition(" ")
            found[name] = why.strip()
    return found


def results(work: Path, target: Target) -> dict[str, int | None]:
    """Return the exit code of every mutant of `target`, by name."""
    codes: dict[str, int | None] = {}
    for file in target.files:
        meta = work / "mutants" / (file + ".meta")
        for name, code in json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"].items():
            if any(fnmatch.fnmatchcase(name, pattern) for pattern in target.mutants):
                codes[name] = code
    return codes


def report(name: str, work: Path, target: Target, codes: dict[str, int | None], mutmut: str) -> float:
    """Print the score table and the survivors; return the score in percent."""
    listed = equivalents()
    survivors = sorted(n for n, c in codes.items() if c not in KILLED | TIMEOUT and n not in listed)
    equivalent = sorted(n for n, c in codes.items() if c not in KILLED | TIMEOUT and n in listed)
    stale = sorted(n for n in listed if n.startswith(tuple(p.rstrip("*") for p in target.mutants))
                   and codes.get(n, 1) in KILLED | TIMEOUT)
    killed = sum(1 for c in codes.values() if c in KILLED)
    timeouts = sum(1 for c in codes.values() if c in TIMEOUT)
    total = len(codes)
    score = 100.0 * (killed + timeouts + len(equivalent)) / total if total else 0.0
    for survivor in survivors:
        shown = subprocess.run([mutmut, "show", survivor], cwd=work, capture_output=True, text=True)
        print(f"\n--- survived ({describe(codes[survivor])}): {survivor}\n{shown.stdout.strip()}")
    for gone in stale:
        print(f"\nlisted as equivalent but {'killed' if gone in codes else 'no longer made'}: {gone}")
    print(f"\n| module | mutants | killed | timeout | equivalent | survived | score |\n"
          f"| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
          f"| {name} ({target.what}) | {total} | {killed} | {timeouts} | {len(equivalent)} | {len(survivors)}"
          f" | {score:.1f}% |")
    return score


def describe(code: int | None) -> str:
    """Return what mutmut's exit code `code` means for a mutant that was not killed."""
    if code in NO_TESTS:
        return "no test reaches it"
    if code is None:
        return "not checked"
    return "no test failed" if code in SURVIVED else f"mutmut status {code}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("module", nargs="?", choices=sorted(TARGETS))
    parser.add_argument("--list", action="store_true", help="list the modules and their tests")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--again", action="store_true",
                        help="test only the survivors of the last run again (after adding tests)")
    args = parser.parse_args(argv)
    if args.list or not args.module:
        for key, target in TARGETS.items():
            print(f"{key:8} {target.what}: {', '.join(target.files)}\n         tests: {' '.join(target.tests)}")
        return 0 if args.list else 2
    target = TARGETS[args.module]
    mutmut = str(Path(sys.executable).parent / "mutmut")
    work = ROOT / "mutants" / args.module
    stats = work / "mutants" / "mutmut-stats.json"
    if args.again and stats.exists():
        listed = equivalents()
        names = sorted(n for n, c in results(work, target).items() if c not in KILLED | TIMEOUT and n not in listed)
        if not names:
            names = list(target.mutants)
        stats.unlink()  # which test reaches which function is mapped anew: tests change between runs
    else:
        work, names = prepare(args.module, target), list(target.mutants)
    run = subprocess.run([mutmut, "run", "--max-children", str(args.jobs), *names], cwd=work,
                         env=environment(work))
    unchecked = sorted(n for n, c in results(work, target).items() if c is None)
    if run.returncode == 0 and unchecked:  # again, after a change to the module: its changed functions' mutants
        run = subprocess.run([mutmut, "run", "--max-children", str(args.jobs), *unchecked], cwd=work,
                             env=environment(work))
    if run.returncode != 0:
        print(f"mutmut exited with {run.returncode}; its output is above", file=sys.stderr)
        return 1
    score = report(args.module, work, target, results(work, target), mutmut)
    return 0 if score >= TARGET_SCORE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
