"""State machines: each state enum lists where it may go next; models move through `advance`,
so an illegal transition fails loudly (a 409 at the edge) instead of being written."""

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

from awardpath_shared.errors import Conflict

S = TypeVar("S", bound=StrEnum)


class IllegalTransition(Conflict):
    def __init__(self, what: str, current: StrEnum, target: StrEnum) -> None:
        super().__init__(
            "illegal-transition",
            "Not possible in this state",
            f"a {what} that is {current.value} cannot become {target.value}",
            state=current.value,
        )


def advance(what: str, current: S, target: S, transitions: Mapping[S, frozenset[S]]) -> S:
    """`target` if `current` may move there, else IllegalTransition."""
    if target not in transitions.get(current, frozenset()):
        raise IllegalTransition(what, current, target)
    return target
