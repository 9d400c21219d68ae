"""The command line: parse arguments, call the library, print diagnostics, exit 0, 1 or 2."""
from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from .model import Diagnostic, Severity, has_errors

EXIT_OK, EXIT_ERRORS, EXIT_USAGE = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `clinics` command and return its exit status."""
    signal.signal(signal.SIGTERM, _terminated)
    parser = _arguments()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.run(args))
    except KeyboardInterrupt:
        print("clinics: interrupted; outputs written so far are complete, the rest are unchanged",
              file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"clinics: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return EXIT_ERRORS


def _terminated(signum: int, frame: object) -> None:
    """Turn SIGTERM into the same clean stop as Ctrl-C: staged files removed, outputs untouched."""
    raise KeyboardInterrupt


def _arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clinics", description="Build the Wikimedia Clinics digests.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--digests", type=Path, default=Path("digests"), help="folder of digests (default: digests)")
    common.add_argument("--templates", type=Path, default=None,
                        help="folder of templates and partials (default: the project's templates/)")
    common.add_argument("--out", type=Path, default=Path("build"), help="output folder (default: build)")
    common.add_argument("--strict", action="store_true", help="fail on warnings too")
    common.add_argument("--today", type=dt.date.fromisoformat, default=None, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", parents=[common], help="report every problem in the digests")
    check.set_defaults(run=run_check)

    build = sub.add_parser("build", parents=[common], help="check, then write every output into --out")
    build.add_argument("--only", action="append", default=[], metavar="STAGE",
                       help="rebuild only this stage (model, emails, wiki, calendar); repeatable")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--timings", type=Path, default=None, help="write CPU seconds per stage to this JSON file")
    build.set_defaults(run=run_build)

    new = sub.add_parser("new", parents=[common], help="start a new digest from a template")
    new.add_argument("number", help="the call's number, e.g. 012")
    new.add_argument("--lang", default=None, help="language of this version (adds .LANG to the file name)")
    new.add_argument("--date", type=dt.date.fromisoformat, default=None, help="date of the call (default: from the schedule, else today)")
    new.set_defaults(run=run_new)

    catalog = sub.add_parser("catalog", parents=[common], help="list the catalog and the digests citing each entry")
    catalog.set_defaults(run=run_catalog)

    from . import publish, send

    send.add_parser(sub, common)
    publish.add_parser(sub, common)
    return parser


def templates_folder(args: argparse.Namespace) -> Path:
    """Return the templates folder: --templates, else the project's own."""
    return args.templates or Path(__file__).resolve().parent.parent / "templates"


def load(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """Return the archive of --digests, printing its diagnostics; None when it has errors."""
    from .archive import load_archive

    if not args.digests.is_dir():
        print(f"clinics: error: no folder of digests at '{args.digests}'", file=sys.stderr)
        return None, EXIT_USAGE
    today = args.today or dt.date.today()
    archive = load_archive(args.digests, templates_folder(args), today)
    status = report(archive.diagnostics, args.strict)
    return archive, status


def report(diagnostics: list[Diagnostic], strict: bool = False) -> int:
    """Print `diagnostics` sorted by place, then a summary; return the exit status they call for."""
    ordered = sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key)
    for diagnostic in ordered:
        print(diagnostic.format(), file=sys.stderr)
    errors = sum(d.severity is Severity.ERROR for d in ordered)
    warnings = len(ordered) - errors
    if ordered:
        print(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}", file=sys.stderr)
    if has_errors(ordered) or (strict and warnings):
        return EXIT_ERRORS
    return EXIT_OK


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_check(args: argparse.Namespace) -> int:
    archive, status = load(args)
    if archive is not None and status == EXIT_OK:
        print(f"{len(archive.digests)} digests checked, no errors", file=sys.stderr)
    return status


def run_build(args: argparse.Namespace) -> int:
    from .build import BuildLocked, build, locked

    if not args.digests.is_dir():
        print(f"clinics: error: no folder of digests at '{args.digests}'", file=sys.stderr)
        return EXIT_USAGE
    try:
        with locked(args.out):
            result = build(args.digests, templates_folder(args), args.out, args.only,
                           args.today or dt.date.today(), args.jobs, args.strict)
    except BuildLocked:
        print(f"clinics: error: another build is writing to '{args.out}'; wait for it to finish, then run "
              "it again", file=sys.stderr)
        return EXIT_ERRORS
    status = report(result.diagnostics, args.strict)
    if result.failed:
        print("clinics: nothing was written", file=sys.stderr)
        return status
    print(f"{result.written} files written, {result.unchanged} unchanged in {args.out} "
          f"({result.parsed} digests parsed, {result.rendered} rendered)", file=sys.stderr)
    if args.timings:
        import json

        from . import timing

        args.timings.write_text(json.dumps(timing.spent(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return status


def run_new(args: argparse.Namespace) -> int:
    from .scaffold import NewDigestError, new_digest

    try:
        path = new_digest(args.digests, args.number, args.lang, args.date, args.today or dt.date.today())
    except NewDigestError as exc:
        print(f"clinics: error: {exc}", file=sys.stderr)
        return EXIT_ERRORS
    print(f"wrote {path}: fill in the notes, then run `make check`", file=sys.stderr)
    return EXIT_OK


def run_catalog(args: argparse.Namespace) -> int:
    from .catalog import describe

    archive, status = load(args)
    if archive is None or archive.site is None:
        return status
    sys.stdout.write(describe(archive.catalog, archive.digests))
    return status
