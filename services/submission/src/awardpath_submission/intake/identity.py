"""What identifies an earner in free text and in URLs: every form their name, e-mail and ids
take (any case, any spacing, name parts alone, slugs, percent-encoded), as patterns. The blind
copy redacts them from evidence text; intake refuses artifact URLs that carry them (a redacted
URL would be a broken link the assessor cannot tell from a real one)."""

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import quote, unquote, urlsplit

from awardpath_submission.intake.models import Earner
from awardpath_submission.intake.schemas import EarnerCreate

REDACTION_MARKER = "[earner]"
# Shorter values are ignored: a single letter cannot identify anyone and would wipe the text.
MIN_TOKEN_CHARS = 2
# A name token this long only has to stand apart from letters ("ada2024" is found); a shorter
# one must stand apart from digits too, or it would be found by chance inside random ids.
LONG_NAME_CHARS = 4
SLUG_JOINERS = ("", "-", "_", ".")

# Boundaries by lookaround: an underscore separates like punctuation does ("ada_lovelace").
_NO_LETTER_BEFORE, _NO_LETTER_AFTER = r"(?<![^\W\d_])", r"(?![^\W\d_])"
_NO_ALNUM_BEFORE, _NO_ALNUM_AFTER = r"(?<![^\W_])", r"(?![^\W_])"
_NAME_PART = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class _Token:
    kind: str  # what it is, for the caller: "name", "e-mail", "external id", "organisation id"
    literal: str  # the value, for ordering (longest first)
    regex: str  # the value as a pattern, boundaries included


@dataclass(frozen=True)
class EarnerIdentity:
    name: str
    email: str
    external_id: str
    organization_id: str | None = None

    @classmethod
    def of(cls, earner: Earner | EarnerCreate) -> "EarnerIdentity":
        return cls(str(earner.name), str(earner.email), str(earner.external_id), earner.organization_id)

    @cached_property
    def _tokens(self) -> list[_Token]:
        # One token per value; where an id equals a name part (ada@...), it counts as the name.
        found = [*self._id_tokens(), *self._name_tokens()]
        tokens = {token.literal.casefold(): token for token in found if len(token.literal) >= MIN_TOKEN_CHARS}
        # Longest first: at one position the full name wins over a part of it.
        return sorted(tokens.values(), key=lambda token: len(token.literal), reverse=True)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """Every identifying form, case-insensitive; one pass, so the marker is never re-read."""
        return _compile(self._tokens)

    @cached_property
    def _patterns_by_kind(self) -> dict[str, re.Pattern[str]]:
        kinds = dict.fromkeys(token.kind for token in self._tokens)
        return {kind: _compile([token for token in self._tokens if token.kind == kind]) for kind in kinds}

    def redact(self, text: str) -> str:
        return self.pattern.sub(REDACTION_MARKER, _nfc(text))

    def found_in(self, value: str) -> list[str]:
        """The kinds of identity `value` (a URL, a media type) carries, read also percent-decoded and
        with a host decoded from punycode; [] when it identifies nobody."""
        forms = list(_url_forms(value))
        return [kind for kind, pattern in self._patterns_by_kind.items() if any(map(pattern.search, forms))]

    def _name_tokens(self) -> Iterator[_Token]:
        for name in dict.fromkeys([_nfc(self.name), _ascii_folded(self.name)]):
            words = name.split()
            if len(words) > 1:  # the full name, any whitespace between its words (line breaks)
                yield _name_token(" ".join(words), r"\s+".join(map(re.escape, words)))
            parts = _NAME_PART.findall(name)
            for value in [*words, *parts]:
                yield _name_token(value)
            for slug in _slugs(parts):
                yield _name_token(slug)

    def _id_tokens(self) -> Iterator[_Token]:
        values = [
            ("e-mail", self.email),
            ("e-mail", self.email.rsplit("@", 1)[0]),  # the local part alone names the person too
            ("external id", self.external_id),
            ("organisation id", self.organization_id or ""),
        ]
        for kind, raw in values:
            value = _nfc(raw.strip())
            for form in dict.fromkeys([value, quote(value, safe="")]):  # ada%40example.org
                yield _Token(kind, form, _NO_ALNUM_BEFORE + re.escape(form) + _NO_ALNUM_AFTER)


def _name_token(value: str, regex: str | None = None) -> _Token:
    body = regex or re.escape(value)
    if len(value) >= LONG_NAME_CHARS:
        return _Token("name", value, _NO_LETTER_BEFORE + body + _NO_LETTER_AFTER)
    return _Token("name", value, _NO_ALNUM_BEFORE + body + _NO_ALNUM_AFTER)


def _slugs(parts: list[str]) -> list[str]:
    """The name as URLs and handles write it: adalovelace, ada-lovelace, ada_lovelace,
    ada.lovelace, and the same with the family name first or the middle names left out."""
    if len(parts) < 2:
        return []
    orders = [parts, parts[::-1], [parts[0], parts[-1]], [parts[-1], parts[0]]]
    return [joiner.join(order) for order in orders for joiner in SLUG_JOINERS]


def _compile(tokens: list[_Token]) -> re.Pattern[str]:
    if not tokens:
        return re.compile(r"(?!)")  # nothing to look for: matches nothing
    # Looking ahead for a first letter first skips most positions cheaply (3x on long text).
    first_chars = "".join(sorted({re.escape(token.literal[0].lower()) for token in tokens}))
    alternatives = "|".join(token.regex for token in tokens)
    return re.compile(f"(?=[{first_chars}])(?:{alternatives})", re.IGNORECASE)


def _url_forms(url: str) -> Iterator[str]:
    form = _nfc(url)
    yield form
    for _ in range(3):  # percent-decoded, also when encoded twice
        decoded = _nfc(unquote(form))
        if decoded == form:
            break
        yield decoded
        form = decoded
    try:
        host = urlsplit(url).hostname or ""
        yield host.encode("ascii").decode("idna")  # xn--... back to the letters it spells
    except (UnicodeError, ValueError):
        pass


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _ascii_folded(text: str) -> str:
    """Zoë -> Zoe: slugs and addresses often drop accents."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
