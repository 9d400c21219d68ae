"""Text given in one or more languages (schedule notes and topics), and which language an output gets."""
from __future__ import annotations

from dataclasses import dataclass

FALLBACK = "en"  # the language a text is taken in when it lacks the one an output is in


@dataclass(frozen=True)
class Localised:
    """A text in each language it is given in, in the order written: ((code, text), …)."""

    texts: tuple[tuple[str, str], ...] = ()

    @classmethod
    def single(cls, code: str, text: str) -> Localised:
        return cls(((code, text),) if text else ())

    def __bool__(self) -> bool:
        return bool(self.texts)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.texts)

    def has(self, code: str) -> bool:
        return code in self.languages

    def pick(self, code: str) -> tuple[str, str]:
        """Return the text for an output in `code` and the language it is in: `code`'s, else English, else the first."""
        for wanted in (code, FALLBACK):  # a tuple of two or three: faster scanned than made a dict
            for language, text in self.texts:
                if language == wanted:
                    return text, language
        return self.texts[0][1], self.texts[0][0]

    def text(self, code: str) -> str:
        return self.pick(code)[0] if self.texts else ""
