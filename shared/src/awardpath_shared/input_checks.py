"""What input every entry point accepts, checked in one place: JSON of bounded depth, and
text that is valid Unicode every backend can store. A lone UTF-16 surrogate (`"\\udc80"` is
valid JSON) cannot be encoded as UTF-8, so a stored one breaks every later read of its row;
PostgreSQL refuses NUL outright. The HTTP edge (`edge_input`) refuses both with 422; the
verifier applies the same checks to the payload of a posted VC-JWT."""

import json
from typing import Any

# Deeper than any document this API defines (an OB 3.0 credential nests about 6 levels);
# bounded so no parser or JSON-LD processor behind the edge recurses without limit.
MAX_JSON_DEPTH = 32

Location = tuple[str | int, ...]


class UnacceptableInput(ValueError):
    """Input the edge refuses; `location` says where in it, `kind` the problem's error type."""

    def __init__(self, kind: str, location: Location, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.location = location
        self.message = message


def text_fault(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    if "\x00" in text:
        return "must not contain NUL characters"
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return "must be valid Unicode (it holds a lone UTF-16 surrogate)"
    return None


def check_json(value: object, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Raise UnacceptableInput for a value nested deeper than `max_depth` or holding a
    string (key or value) that cannot be stored. Iterative: no recursion on hostile input."""
    pending: list[tuple[object, Location]] = [(value, ())]
    while pending:
        item, location = pending.pop()
        if isinstance(item, str):
            _check_text(item, location)
            continue
        if not isinstance(item, dict | list):
            continue
        if len(location) >= max_depth:
            raise UnacceptableInput("json_too_deep", location, f"JSON nested deeper than {max_depth} levels")
        if isinstance(item, list):
            pending.extend((child, (*location, index)) for index, child in enumerate(item))
            continue
        for key, child in item.items():
            _check_text(key, location)
            pending.append((child, (*location, key)))


def _check_text(text: str, location: Location) -> None:
    fault = text_fault(text)
    if fault is not None:
        raise UnacceptableInput("string_unstorable", location, fault)


def parse_json(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """The JSON value of `body`, or UnacceptableInput saying why there is none."""
    try:
        value = json.loads(body)
    except RecursionError as error:
        raise UnacceptableInput("json_too_deep", (), f"JSON nested deeper than {max_depth} levels") from error
    except ValueError as error:  # JSONDecodeError, or bytes that are no Unicode encoding
        raise UnacceptableInput("json_invalid", (), f"not JSON: {error}") from error
    check_json(value, max_depth)
    return value
