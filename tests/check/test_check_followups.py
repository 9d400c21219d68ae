"""Follow-ups: how items and answers are read, and every check of them, with its exact message and hint."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from conftest import TEMPLATES, check

from pipeline.check.archive import load_archive
from pipeline.model.followup_index import FollowupIndex


def digest(number: int, date: str, body: str, front: str = "") -> str:
    return f"---\nnumber: {number}\ndate: {date}\n{front}---\n## A topic\n\n* Volunteer:\n    * A question.\n\n{body}"


ITEMS = """### Follow-up

* [ ] Share the consultation link on the list (owner: Asaf (WMF), due: 2020-07-01)
* A sentence that is no follow-up.
* [ ] Write to the list with the deadlines (owner: Claudia from Wikimedia Mexico) {#deadlines}
* [x] Send the grant links (owner: Asaf (WMF), answered: <https://lists.wikimedia.org/post>)
"""


def write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def followups_of(folder: Path) -> FollowupIndex:
    return load_archive(folder, TEMPLATES, dt.date(2020, 6, 20)).followups


def test_items_get_ids_owners_due_dates_and_answers(scratch: Path) -> None:
    write(scratch, {"001.md": digest(1, "2020-06-15", ITEMS)})
    assert check(scratch, today="2020-06-20") == []
    index = followups_of(scratch)
    assert [(t.id, t.item.what, t.item.owner, t.item.due) for t in index.ordered] == [
        ("001-1", "Share the consultation link on the list", "Asaf (WMF)", dt.date(2020, 7, 1)),
        ("deadlines", "Write to the list with the deadlines", "Claudia from Wikimedia Mexico", None),
        ("001-3", "Send the grant links", "Asaf (WMF)", None)]
    assert [t.id for t in index.open_now()] == ["001-1", "deadlines"]
    answer = index.items["001-3"].answer
    assert answer is not None and (answer.number, answer.url) == (1, "https://lists.wikimedia.org/post")


def test_a_later_digest_answers_in_its_front_matter_or_its_body(scratch: Path) -> None:
    answers = "answers:\n  - id: 001-1\n    note: Shared on the list.\n    link: https://lists.wikimedia.org/a\n"
    body = "### Answered follow-ups\n\n* deadlines: The deadlines went to [the list](https://lists.wikimedia.org/b).\n"
    write(scratch, {"001.md": digest(1, "2020-06-15", ITEMS), "002.md": digest(2, "2020-06-17", body, answers)})
    assert check(scratch, today="2020-06-20") == []
    index = followups_of(scratch)
    assert index.open_now() == []
    assert [(t.id, t.answer.number, t.answer.note) for t in index.answered_since(2) if t.answer] == [
        ("001-1", 2, "Shared on the list."), ("deadlines", 2, "The deadlines went to the list.")]
    assert [t.id for t in index.open_before(2)] == []


def test_an_unknown_id_is_an_error_with_a_suggestion(scratch: Path) -> None:
    body = "### Answered follow-ups\n\n* 001-7: Done, see [the post](https://lists.wikimedia.org/b).\n"
    answers = "answers:\n  - id: deadline\n    note: Sent.\n    link: https://lists.wikimedia.org/a\n"
    write(scratch, {"001.md": digest(1, "2020-06-15", ITEMS), "002.md": digest(2, "2020-06-17", body, answers)})
    assert check(scratch, today="2020-06-20") == [
        "digests/002.md:5:9: error[unknown-followup]: no follow-up has the id 'deadline'\n"
        "  hint: did you mean 'deadlines'?",
        "digests/002.md:16:3: error[unknown-followup]: no follow-up has the id '001-7'\n"
        "  hint: did you mean '001-3' or '001-1'?"]


def test_answering_twice_or_before_the_item_was_opened_is_an_error(scratch: Path) -> None:
    answers = "answers:\n  - id: 001-3\n    note: Sent again.\n    link: https://lists.wikimedia.org/a\n"
    early = "answers:\n  - id: 002-1\n    note: Too early.\n    link: https://lists.wikimedia.org/c\n"
    write(scratch, {"001.md": digest(1, "2020-06-15", ITEMS, early),
                    "002.md": digest(2, "2020-06-17", "### Follow-up\n\n* [ ] Another one (owner: Amir (WMF))\n",
                                     answers)})
    assert check(scratch, today="2020-06-20") == [
        "digests/001.md:5:9: error[followup-answered-before]: follow-up 002-1 was opened on call 002 "
        "(digests/002.md); call 001 cannot answer it\n"
        "  hint: answer a follow-up in a digest of a later call, or mark it [x] in its own digest with 'answered: …'",
        "digests/002.md:5:9: error[followup-answered-twice]: follow-up 001-3 is answered already, at "
        "digests/001.md:19:3\n"
        "  hint: answer each follow-up once; take this answer out, or the other one"]


def test_an_item_without_owner_past_due_or_open_too_long_is_a_warning(scratch: Path) -> None:
    body = "### Follow-up\n\n* [ ] Nobody's (due: 2020-06-16)\n"
    files = {"001.md": digest(1, "2020-06-15", body)}
    files |= {f"00{n}.md": digest(n, f"2020-06-1{n}", "") for n in range(2, 6)}
    write(scratch, files)
    assert check(scratch, today="2020-06-20") == [
        "digests/001.md:12:3: warning[followup-no-owner]: follow-up 001-1 has no owner\n"
        "  hint: say who will do it: '(owner: Name (WMF))' at the end of the item",
        "digests/001.md:12:3: warning[followup-past-due]: follow-up 001-1 (no owner) was due on 2020-06-16 and is "
        "still open\n"
        "  hint: answer it in a later digest ('### Answered follow-ups' or 'answers:'), or set a new due date with "
        "the owner",
        "digests/001.md:12:3: warning[followup-stale]: follow-up 001-1 (no owner) has been open for 4 calls "
        "(more than 3)\n"
        "  hint: ask the owner where it stands, and answer it in the next digest; site.yaml's "
        "followups.warn_after_calls sets the limit"]


def test_the_limit_of_calls_comes_from_site_yaml(scratch: Path) -> None:
    site = scratch / "site.yaml"
    site.write_text(site.read_text(encoding="utf-8").replace("warn_after_calls: 3", "warn_after_calls: 5"),
                    encoding="utf-8")
    files = {"001.md": digest(1, "2020-06-15", "### Follow-up\n\n* [ ] Mine (owner: Asaf (WMF))\n")}
    files |= {f"00{n}.md": digest(n, f"2020-06-1{n}", "") for n in range(2, 6)}
    write(scratch, files)
    assert check(scratch, today="2020-06-20") == []


def test_mistakes_in_an_item_are_located_errors(scratch: Path) -> None:
    body = ("### Follow-up\n\n* [x] Done somewhere (owner: Asaf (WMF))\n"
            "* [ ] Half done (owner: Asaf (WMF), answered: on call 2)\n"
            "* [ ] A date (owner: Asaf (WMF), due: 2020-02-30)\n"
            "* [ ] Twice (owner: Asaf (WMF)) {#twice}\n* [ ] Again (owner: Amir (WMF)) {#twice}\n"
            "* [ ] Numbered (owner: Asaf (WMF)) {#12}\n"
            "\n### Answered follow-ups\n\n* Nothing to say.\n* 001-1: No link.\n")
    write(scratch, {"001.md": digest(1, "2020-06-15", body)})
    assert check(scratch, today="2020-06-20") == [
        "digests/001.md:12:3: error[followup-unanswered]: a follow-up marked [x] does not say where it was answered\n"
        "  hint: end it with '(…, answered: <https://…>)' or '(…, answered: on call 007)'",
        "digests/001.md:13:3: error[followup-unanswered]: a follow-up says 'answered:' but its box is open ([ ])\n"
        "  hint: write [x] when it is answered, or take 'answered:' out",
        "digests/001.md:14:3: error[bad-followup]: due date '2020-02-30' is not a real date\n"
        "  hint: write 'due: 2020-07-01'",
        "digests/001.md:16:3: error[duplicate-followup]: follow-up id 'twice' is given twice in this digest "
        "(first on line 15)\n  hint: give each follow-up its own {#id}",
        "digests/001.md:17:3: error[bad-followup-id]: follow-up id '12' is not a lower-case name\n"
        "  hint: write it as {#ucoc-link}: lower-case letters, digits and '-', not a number alone",
        "digests/001.md:21:3: error[bad-answer]: an item under 'Answered follow-ups' does not start with the id it "
        "answers\n  hint: write '* 001-1: what was done, with [a link](https://…)'",
        "digests/001.md:22:3: error[bad-answer]: the answer to 001-1 has no link to where it was answered\n"
        "  hint: link the list post, page or ticket that answers it: [the post](https://…)"]


def test_versions_of_a_call_share_their_ids(scratch: Path) -> None:
    english = digest(6, "2020-07-16", "### Follow-up\n\n* [ ] Send the links (owner: staff (WMF))\n",
                     "language: en\ncall_language: es\n")
    spanish = digest(6, "2020-07-16", "### Seguimiento\n\n* [ ] Enviar los enlaces (owner: personal (WMF))\n"
                     "* [ ] Otro (owner: personal (WMF))\n", "language: es\n")
    write(scratch, {"006.en.md": english, "006.es.md": spanish})
    assert check(scratch, today="2020-07-20") == [
        "digests/006.en.md:14:3: error[followup-versions]: the follow-ups of this version (006-1) differ from "
        "those of digests/006.es.md (006-1, 006-2)\n"
        "  hint: write the same follow-ups, in the same order, in every version of a call"]
    write(scratch, {"006.en.md": english.replace("(owner: staff (WMF))", "(owner: staff (WMF))\n* [ ] Other "
                                                 "(owner: staff (WMF))")})
    assert check(scratch, today="2020-07-20") == []
    index = followups_of(scratch)
    assert index.items["006-1"].in_language("en").what == "Send the links"
    assert index.items["006-1"].in_language("es").what == "Enviar los enlaces"
    assert index.items["006-1"].in_language("ru").what == "Enviar los enlaces"  # the call's own language


def test_the_spanish_subsection_heading_answers_too(scratch: Path) -> None:
    spanish = digest(2, "2020-06-17", "### Seguimientos respondidos\n\n* 001-1: Hecho: "
                     "[el mensaje](https://lists.wikimedia.org/x).\n", "language: es\n")
    write(scratch, {"001.md": digest(1, "2020-06-15", ITEMS), "002.es.md": spanish})
    assert check(scratch, today="2020-06-20") == []
    answer = followups_of(scratch).items["001-1"].answer
    assert answer is not None and answer.url == "https://lists.wikimedia.org/x"


def test_the_limit_must_be_a_whole_number_of_calls(scratch: Path) -> None:
    site = scratch / "site.yaml"
    text = site.read_text(encoding="utf-8")
    write(scratch, {"001.md": digest(1, "2020-06-15", "")})
    site.write_text(text.replace("warn_after_calls: 3", "warn_after_calls: three"), encoding="utf-8")
    line = next(n for n, row in enumerate(site.read_text(encoding="utf-8").split("\n"), 1) if "warn_after" in row)
    assert check(scratch) == [
        f"digests/site.yaml:{line}:21: error[wrong-type]: 'followups.warn_after_calls' must be a whole number of 1 "
        "or more, not 'three'\n  hint: for example 'warn_after_calls: 3'"]
    site.write_text(text.replace("warn_after_calls: 3", "warn_afer_calls: 3"), encoding="utf-8")
    assert check(scratch) == [
        f"digests/site.yaml:{line}:3: error[unknown-key]: unknown key 'warn_afer_calls' in followups\n"
        "  hint: did you mean 'warn_after_calls'?"]
