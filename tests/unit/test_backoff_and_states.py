"""The one backoff formula and the state-machine helper."""

from enum import StrEnum

import pytest

from awardpath_shared.backoff import exponential_backoff
from awardpath_shared.states import IllegalTransition, advance


def test_backoff_doubles_from_the_base_up_to_the_cap():
    delays = [exponential_backoff(failures, base=0.2, cap=1.0) for failures in range(1, 6)]
    assert delays == [0.2, 0.4, 0.8, 1.0, 1.0]


def test_backoff_with_jitter_stays_in_the_upper_half():
    for failures, full in [(1, 10.0), (3, 40.0), (9, 300.0)]:
        for _ in range(50):
            assert full / 2 <= exponential_backoff(failures, base=10.0, cap=300.0, jitter=True) <= full


class Light(StrEnum):
    RED = "red"
    GREEN = "green"
    AMBER = "amber"


TRANSITIONS = {Light.RED: frozenset({Light.GREEN}), Light.GREEN: frozenset({Light.AMBER})}


def test_a_listed_transition_is_taken_and_any_other_refused_as_a_conflict():
    assert advance("light", Light.RED, Light.GREEN, TRANSITIONS) == Light.GREEN
    with pytest.raises(IllegalTransition) as refused:
        advance("light", Light.RED, Light.AMBER, TRANSITIONS)
    assert refused.value.code == "illegal-transition" and refused.value.extensions == {"state": "red"}
    with pytest.raises(IllegalTransition):
        advance("light", Light.AMBER, Light.RED, TRANSITIONS)  # a state with no way out
