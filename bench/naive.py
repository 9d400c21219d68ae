"""The naive pipeline the benchmark compares against, as a typical script would write it.

For each digest: a new Markdown instance, premailer.transform() on the HTML with the
stylesheet in a <style> block, html2text for the text part. One process, one core.
Usage: python -m bench.naive FOLDER  (prints JSON: files, wall and CPU seconds)
"""
from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def body_of(text: str) -> str:
    """Return the Markdown after the front matter."""
    return text.split("\n---\n", 1)[1] if text.startswith("---\n") else text


def main(folder: Path) -> dict[str, float]:
    import html2text
    import markdown
    import premailer

    logging.getLogger("cssutils").setLevel(logging.CRITICAL)
    css = (ROOT / "templates" / "email.css").read_text(encoding="utf-8") if (ROOT / "templates" / "email.css").exists() \
        else "body{font-family:sans-serif} h2{font-size:20px} li{margin:0}"
    files = sorted(folder.glob("*.md"))
    wall, cpu = time.perf_counter(), time.process_time()
    for path in files:
        html = markdown.Markdown(extensions=["tables"]).convert(body_of(path.read_text(encoding="utf-8")))
        page = f"<html><head><style>{css}</style></head><body>{html}</body></html>"
        inlined = premailer.transform(page, allow_network=False, disable_validation=True)
        html2text.html2text(inlined)
    return {"files": len(files), "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1]))))
