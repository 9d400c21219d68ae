"""A deterministic synthetic archive of N digests shaped like the real ones, for the benchmark.

Each digest has several topics with nested, speaker-attributed lists, catalog references,
emphasis and the odd table; every fifth call also has a Spanish version. Sizes fall between
6 and 12 KB. The same N always gives the same bytes.
"""
from __future__ import annotations

import datetime as dt
import random
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_DAY = dt.date(1990, 1, 1)  # a call a day: 10,000 calls end before today

_WORDS = ("volunteer community project grant campaign article editors wiki translation dashboard event "
          "affiliate policy support question answer staff tool data query page template mentor "
          "newcomers outreach workshop museum library school partnership budget report feedback "
          "process language local global movement strategy meeting training program").split()
_SPEAKERS_EN = ("Volunteer:", "Asaf (WMF):", "Amir (WMF):", "A staff member (WMF):", "María from a Mexican affiliate:",
                "Ahmet from the Turkish community:", "Volunteer (Dutch community):")
_SPEAKERS_ES = ("Voluntario:", "Asaf (WMF):", "Voluntaria:", "Miembro del personal (WMF):",
                "Claudia, de un afiliado mexicano:")
_REFS = ("[Quarry][]", "[PAWS][]", "[the dashboard][programs-and-events-dashboard]", "[Tech News][]",
         "[grants portal][wikimedia-grants]", "[Phabricator][]", "[Wikidata][]", "[Toolforge][]",
         "[Trust and Safety team][]", "[Universal Code of Conduct][]", "[Abstract Wikipedia][]",
         "[Meta's translation tools][translate-extension]", "[Wikimedia Resource Center][]",
         "[the team][community-development]", "[resources][community-resources]", "[affiliates][wikimedia-affiliates]",
         "[AffCom][affiliations-committee]", "[the chapter][wikimedia-mexico]", "[nlwiki][dutch-wikipedia]",
         "[trwiki][turkish-wikipedia]", "[recommendations][movement-strategy-recommendations]",
         "[citations][wikicite]", "[shared templates][global-templates]", "[wishlist][community-wishlist-survey]",
         "[2015 wishlist][community-wishlist-survey-2015]", "[WDQS][wikidata-query-service]",
         "[translation][content-translation]", "[the video call][google-meet]", "[Jitsi][jitsi-meet]",
         "[time zones][worldtimebuddy]", "[the list][wikimedia-l]")


def _sentence(rng: random.Random, words: int) -> str:
    chosen = [rng.choice(_WORDS) for _ in range(words)]
    if rng.random() < 0.5:
        chosen[rng.randrange(words)] = rng.choice(_REFS)
    if rng.random() < 0.25:
        i = rng.randrange(words)
        chosen[i] = f"*{chosen[i]}*"
    if rng.random() < 0.1:
        i = rng.randrange(words)
        chosen[i] = f"**{chosen[i]}**"
    text = " ".join(chosen)
    return text[0].upper() + text[1:] + "."


def _topic(rng: random.Random, n: int, spanish: bool) -> str:
    speakers = _SPEAKERS_ES if spanish else _SPEAKERS_EN
    title = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(3, 7))).capitalize()
    lines = [f"## {title} {n}", ""]
    if rng.random() < 0.5:
        lines += ["### " + ("Presentación del tema" if spanish else "Presenting the topic"), ""]
    lines += [_sentence(rng, rng.randint(15, 30)), ""]
    for _ in range(rng.randint(3, 6)):
        lines.append(f"* {rng.choice(speakers)}")
        for _ in range(rng.randint(1, 3)):
            lines.append(f"    * {_sentence(rng, rng.randint(12, 35))}")
            if rng.random() < 0.2:
                lines.append(f"        * {_sentence(rng, rng.randint(6, 14))}")
    lines.append("")
    if rng.random() < 0.15:
        lines += ["| Item | Status |", "|---|---|", "| Grant | open |", "| Report | due |", ""]
    return "\n".join(lines)


def digest(number: int, language: str, seed: int) -> str:
    """Return the text of one synthetic digest version."""
    call = random.Random(number)  # what every version of the call agrees on
    day = FIRST_DAY + dt.timedelta(days=number - 1)
    front = [f"number: {number}", f"date: {day.isoformat()}", f"language: {language}",
             f"time: \"{call.choice(['08:00', '13:00', '17:30'])}\"",
             "attendance:", f"  staff: {call.randint(2, 8)}", f"  volunteers: {call.randint(3, 20)}"]
    rng = random.Random(seed)
    if number % 5 == 0:
        front.append("call_language: es")
    body = []
    size = 0
    n = 0
    target = rng.randint(6_000, 11_000)
    while size < target:
        n += 1
        topic = _topic(rng, n, language == "es")
        body.append(topic)
        size += len(topic.encode("utf-8"))
    return "---\n" + "\n".join(front) + "\n---\n" + "\n".join(body)


def write_corpus(folder: Path, count: int) -> Path:
    """Write `count` synthetic calls (and a Spanish version of every fifth) into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("site.yaml", "catalog.yaml"):
        shutil.copy(ROOT / "digests" / name, folder / name)
    for number in range(1, count + 1):
        if number % 5 == 0:
            (folder / f"{number:03d}.es.md").write_text(digest(number, "es", number * 2), encoding="utf-8")
            (folder / f"{number:03d}.en.md").write_text(digest(number, "en", number * 2 + 1), encoding="utf-8")
        else:
            (folder / f"{number:03d}.md").write_text(digest(number, "en", number * 2 + 1), encoding="utf-8")
    return folder
