"""The stages of a build: each a named group of outputs, with the renderers that make them."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pipeline.model.archive import Archive
from pipeline.model.diagnostics import Diagnostic
from pipeline.model.digest import Digest, Status
from pipeline.model.output import Output
from pipeline.render import calendar, model_json
from pipeline.render.email import announce, mime
from pipeline.render.wiki import page, pages

DigestRenderer = Callable[[Archive, Digest], Iterable[Output | Diagnostic]]  # a Diagnostic: found rendering
ArchiveRenderer = Callable[[Archive], Iterable[Output]]


@dataclass(frozen=True)
class Stage:
    """A named group of outputs that `build --only NAME` can rebuild alone."""

    name: str
    per_digest: DigestRenderer | None = None
    per_archive: ArchiveRenderer | None = None
    finals_only: bool = True

    @property
    def prefix(self) -> str:
        """Return the folder under the output folder that holds this stage's files."""
        return _PREFIXES.get(self.name, self.name + "/")

    def renders(self, digest: Digest) -> bool:
        """Return whether this stage makes outputs of `digest` itself (drafts only where it is not finals_only)."""
        return self.per_digest is not None and (digest.meta.status is Status.FINAL or not self.finals_only)


_PREFIXES = {"model": "model/", "emails": "email/", "wiki": "wiki/", "calendar": "calendar/"}


def stages() -> list[Stage]:
    """Return every stage, in the order outputs are produced."""
    return [
        Stage("model", per_digest=model_json.render, finals_only=False),
        Stage("calendar", per_archive=calendar.render),
        Stage("emails", per_digest=mime.render, per_archive=announce.render),
        Stage("wiki", per_digest=page.render, per_archive=pages.render),
    ]
