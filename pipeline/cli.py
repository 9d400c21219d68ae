"""The command line: parse arguments, call the library, print diagnostics and errors, exit 0, 1 or 2.

Every exit status is decided here, and every error is printed here: a Diagnostic by `report`, a
ClinicsError (its message and hint) by `fail`. The build and the delivery stages are imported by the
commands that use them: they bring premailer, Jinja2, smtplib and requests, which `check` never needs.
"""
from __future__ import annotations

import argparse
import datetime as dt
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from pipeline import timing
from pipeline.check.archive import load_archive
from pipeline.model.archive import Archive, DEFAULT_TEMPLATES
from pipeline.model.diagnostics import ClinicsError, Diagnostic, UsageError, has_errors
from pipeline.read.catalog import describe
from pipeline.model.translation import table_text, translation_table
from pipeline.render.followups import listing
from pipeline.report.formats import Format, counts, render
from pipeline.scaffold import new_digest, new_translation

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
    formatted = argparse.ArgumentParser(add_help=False)
    formatted.add_argument("--format", default="text", choices=[f.value for f in Format],
                           help="how to write the diagnostics: text (standard error), or json, github "
                                "(workflow commands) or sarif (2.1.0) on standard output (default: text)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", parents=[common, formatted], help="report every problem in the digests")
    check.set_defaults(run=run_check)

    build = sub.add_parser("build", parents=[common, formatted], help="check, then write every output into --out")
    build.add_argument("--only", action="append", default=[], metavar="STAGE",
                       help="rebuild only this stage (model, emails, wiki, calendar); repeatable")
    build.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    build.add_argument("--timings", type=Path, default=None, help="write CPU seconds per stage to this JSON file")
    build.set_defaults(run=run_build)

    new = sub.add_parser("new", parents=[common], help="start a new digest from a template")
    new.add_argument("number", help="the call's number, e.g. 012")
    new.add_argument("--lang", default=None, help="language of this version (adds .LANG to the file name)")
    new.add_argument("--date", type=dt.date.fromisoformat, default=None, help="date of the call (default: from the schedule, else today)")
    new.add_argument("--from", dest="source", default=None, metavar="LANG",
                     help="start a translation of the call's version in LANG (with --lang)")
    new.set_defaults(run=run_new)

    catalog = sub.add_parser("catalog", parents=[common], help="list the catalog and the digests citing each entry")
    catalog.set_defaults(run=run_catalog)

    followups = sub.add_parser("followups", parents=[common], help="list the follow-ups, open ones first")
    followups.add_argument("--open", action="store_true", help="only the follow-ups not answered yet")
    followups.add_argument("--owner", default=None, metavar="NAME",
                           help="only those whose owner contains NAME (case-insensitive)")
    followups.add_argument("--format", dest="listing_format", choices=("text", "json"), default="text", help="text (default) or json")
    followups.set_defaults(run=run_followups)
    status = sub.add_parser("status", parents=[common],
                            help="print each call's state in each language: final, draft, outdated or missing")
    status.set_defaults(run=run_status)

    send = sub.add_parser(
        "send", parents=[common], help="mail a digest to a mailing list (a dry run unless --yes)",
        description="Mail one digest version, or the announcement of a scheduled call (announce-NNN), to one "
                    "mailing list. Without --yes, only show what would be sent.")
    send.add_argument("id", help="the digest version, e.g. 006.en or 001, or announce-010")
    send.add_argument("--list", dest="list_name", required=True, metavar="LIST",
                      help="the list's name in site.yaml, e.g. wikimedia-l")
    send.add_argument("--yes", action="store_true", help="really send it")
    send.add_argument("--resend", action="store_true",
                      help="send even though the sent log says this version already went to this list")
    send.add_argument("--smtp-host", default=None, help="SMTP server (default: smtp.host in site.yaml)")
    send.add_argument("--smtp-port", type=int, default=None, help="SMTP port (default: smtp.port in site.yaml)")
    send.add_argument("--starttls", action=argparse.BooleanOptionalAction, default=None,
                      help="use STARTTLS (default: smtp.starttls in site.yaml)")
    send.set_defaults(run=run_send)

    publish = sub.add_parser(
        "publish", parents=[common], help="publish the digests to Meta-Wiki (a dry run unless --yes)",
        description="Create or update each digest's page, the tools page and the main page's generated "
                    "sections. Without --yes, only show the changes as a diff. A page someone else edited "
                    "since the last publish is refused, unless --overwrite names it.")
    publish.add_argument("--yes", action="store_true", help="really edit the wiki")
    publish.add_argument("--overwrite", action="append", default=[], metavar="TITLE",
                         help="publish TITLE even over the edits of others (repeatable)")
    publish.add_argument("--adopt", action="store_true",
                         help="take into the publish log pages whose edits since are all publish's own "
                              "(published from another checkout, or the wiki under another address)")
    publish.add_argument("--api-url", default=None, help="the wiki's api.php (default: wiki.api_url in site.yaml)")
    publish.add_argument("--user", default=None, help="the bot user, Name@app (default: wiki.user in site.yaml)")
    publish.set_defaults(run=run_publish)

    serve = sub.add_parser(
        "serve", parents=[common], help="preview every digest in a browser, following each save",
        description="Serve a live preview of the digests: an index, each version's emails and wikitext, and "
                    "every problem with its line. The open page follows each save of a digest, the catalog, "
                    "the schedule, site.yaml or a template. Reads the build's cache in --out; writes nothing.")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000; 0: any free port)")
    serve.set_defaults(run=run_serve)
    return parser


def templates_folder(args: argparse.Namespace) -> Path:
    """Return the templates folder: --templates, else the project's own."""
    return args.templates or DEFAULT_TEMPLATES


def load(args: argparse.Namespace) -> tuple[Archive | None, int]:
    """Return the archive of --digests and the exit status its diagnostics call for, printing them."""
    if not args.digests.is_dir():
        print(f"clinics: error: no folder of digests at '{args.digests}'", file=sys.stderr)
        return None, EXIT_USAGE
    today = args.today or dt.date.today()
    archive = load_archive(args.digests, templates_folder(args), today)
    status = report(archive.diagnostics, args.strict, Format(getattr(args, "format", "text")))
    return archive, status


def _load_or_say(args: argparse.Namespace, nothing: str) -> tuple[Archive | None, int]:
    """Return the archive as `load` does, but None, after saying `nothing` happened, when its status is not 0."""
    archive, status = load(args)
    if archive is not None and status != EXIT_OK:
        print(f"clinics: {nothing}", file=sys.stderr)
    return (archive if status == EXIT_OK else None), status


def report(diagnostics: list[Diagnostic], strict: bool = False, form: Format = Format.TEXT) -> int:
    """Print `diagnostics` sorted by place, then a summary; return the exit status they call for.

    Text goes to standard error, with everything else the command says; the other formats go to
    standard output, whole even when empty, for a program to read.
    """
    ordered = sorted(dict.fromkeys(diagnostics), key=Diagnostic.sort_key)
    if form is Format.TEXT:
        sys.stderr.write(render(form, ordered))
    else:
        sys.stdout.write(render(form, ordered))
        sys.stdout.flush()
    errors, warnings = counts(ordered)
    if ordered:
        print(f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}", file=sys.stderr)
    if has_errors(ordered) or (strict and warnings):
        return EXIT_ERRORS
    return EXIT_OK


def fail(exc: ClinicsError) -> int:
    """Print `exc` and its hint; return the exit status it calls for."""
    print(f"clinics: error: {exc}", file=sys.stderr)
    if exc.hint:
        print(f"  hint: {exc.hint}", file=sys.stderr)
    return EXIT_USAGE if isinstance(exc, UsageError) else EXIT_ERRORS


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run_check(args: argparse.Namespace) -> int:
    archive, status = load(args)
    if archive is not None and status == EXIT_OK:
        print(f"{len(archive.digests)} digests checked, no errors", file=sys.stderr)
    return status


def run_build(args: argparse.Namespace) -> int:
    from pipeline.build.run import build
    from pipeline.build.staging import check_out, locked

    if not args.digests.is_dir():
        print(f"clinics: error: no folder of digests at '{args.digests}'", file=sys.stderr)
        return EXIT_USAGE
    try:
        check_out(args.out, [args.digests, templates_folder(args)])
        with locked(args.out):
            result = build(args.digests, templates_folder(args), args.out, args.only,
                           args.today or dt.date.today(), args.jobs, args.strict)
    except ClinicsError as exc:
        return fail(exc)
    for note in result.notes:
        print(f"clinics: note: {note}", file=sys.stderr)
    status = report(result.diagnostics, args.strict, Format(args.format))
    if result.failed:
        print("clinics: nothing was written", file=sys.stderr)
        return status
    print(f"{_plural(result.written, 'file')} written, {result.unchanged} unchanged in {args.out} "
          f"({_plural(result.parsed, 'digest')} parsed, {result.rendered} rendered)", file=sys.stderr)
    if args.timings:
        import json

        args.timings.write_text(json.dumps(timing.spent(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return status


def run_new(args: argparse.Namespace) -> int:
    try:
        if args.source:
            path = new_translation(args.digests, args.number, args.lang, args.source)
        else:
            path = new_digest(args.digests, args.number, args.lang, args.date, args.today or dt.date.today())
    except ClinicsError as exc:
        return fail(exc)
    print(f"wrote {path}: fill in the notes, then run `make check`", file=sys.stderr)
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    archive, status = load(args)
    if archive is None or archive.site is None:
        return status
    sys.stdout.write(table_text(translation_table(archive.digests, list(archive.site.languages), archive.catalog,
                                                  archive.outdated)))
    return status


def run_catalog(args: argparse.Namespace) -> int:
    archive, status = load(args)
    if archive is None or archive.site is None:
        return status
    sys.stdout.write(describe(archive.catalog, archive.digests))
    return status


def run_followups(args: argparse.Namespace) -> int:
    archive, status = load(args)
    if archive is None or archive.site is None:
        return status
    sys.stdout.write(listing(archive, only_open=args.open, owner=args.owner, as_json=args.listing_format == "json"))
    return status


def run_send(args: argparse.Namespace) -> int:
    from pipeline.deliver import mail

    archive, status = _load_or_say(args, "nothing was sent")
    if archive is None:
        return status
    server = mail.server_for(archive, args.smtp_host, args.smtp_port, args.starttls)
    try:
        mail.send(archive, args.id, args.list_name, server, yes=args.yes, resend=args.resend, strict=args.strict)
    except ClinicsError as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("clinics: interrupted; if it happened while sending, the sent log says so and a new send "
              "asks for --resend", file=sys.stderr)
        return 130
    return EXIT_OK


def run_publish(args: argparse.Namespace) -> int:
    from pipeline.deliver.wiki import publish

    archive, status = _load_or_say(args, "nothing was published")
    if archive is None:
        return status
    wiki = archive.site.wiki
    try:
        done = publish.publish(archive, args.api_url or wiki.api_url, args.user or wiki.user, args.overwrite,
                               args.yes, args.adopt)
    except ClinicsError as exc:
        return fail(exc)
    return EXIT_OK if done else EXIT_ERRORS


def run_serve(args: argparse.Namespace) -> int:
    from pipeline.serve.server import is_loopback, serve

    if not args.digests.is_dir():
        print(f"clinics: error: no folder of digests at '{args.digests}'", file=sys.stderr)
        return EXIT_USAGE
    if not is_loopback(args.host):
        print(f"clinics: warning: --host {args.host} lets other machines see the preview, drafts included; "
              "it has no password", file=sys.stderr)

    def say(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    try:
        serve(args.digests, templates_folder(args), args.out, args.host, args.port, args.today or dt.date.today(), say)
    except KeyboardInterrupt:
        print("clinics: preview stopped", file=sys.stderr)
        return EXIT_OK
    except OSError as exc:
        print(f"clinics: error: cannot listen on {args.host} port {args.port}: {exc.strerror or exc}",
              file=sys.stderr)
        print("  hint: another program (another preview?) uses it: choose another with --port", file=sys.stderr)
        return EXIT_ERRORS
    return EXIT_OK
