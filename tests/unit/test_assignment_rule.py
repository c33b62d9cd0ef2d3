"""The pure assignment rule: eligibility, continuity for resubmissions, fairness."""

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from awardpath_assessment.assignment.rule import AttemptToAssign, CandidateAssessor, PagedChoice, choose_assessor
from tests.support.assignment_rule import chosen_by_the_rule, eligible_by_the_rule, fairness_by_the_rule

MC = "mc-climate"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def assessor(
    assessor_id: str,
    *,
    open_assignments: int = 0,
    capacity: int = 5,
    paused: bool = False,
    micro_credential_ids: frozenset[str] = frozenset({MC}),
    conflict_hashes: frozenset[str] = frozenset(),
    last_assigned_at: datetime | None = None,
) -> CandidateAssessor:
    return CandidateAssessor(
        id=assessor_id,
        micro_credential_ids=micro_credential_ids,
        capacity=capacity,
        open_assignments=open_assignments,
        paused=paused,
        conflict_hashes=conflict_hashes,
        last_assigned_at=last_assigned_at,
    )


def attempt(
    conflict_hashes: frozenset[str] = frozenset(), earlier: str | None = None, held: bool = False
) -> AttemptToAssign:
    return AttemptToAssign(
        micro_credential_id=MC, conflict_hashes=conflict_hashes, earlier_assessor_id=earlier, held=held
    )


def chosen_id(to_assign: AttemptToAssign, pool: list[CandidateAssessor]) -> str | None:
    chosen = choose_assessor(to_assign, pool)
    return chosen.id if chosen else None


def test_a_conflicted_assessor_is_never_chosen_even_when_least_loaded():
    pool = [assessor("a", conflict_hashes=frozenset({"org-1"})), assessor("b", open_assignments=3)]
    assert chosen_id(attempt(frozenset({"org-1", "person-9"})), pool) == "b"


def test_a_full_assessor_is_skipped_and_nobody_is_chosen_when_all_are_full():
    assert chosen_id(attempt(), [assessor("a", open_assignments=2, capacity=2), assessor("b")]) == "b"
    assert chosen_id(attempt(), [assessor("a", open_assignments=2, capacity=2)]) is None


def test_paused_and_unqualified_assessors_are_skipped():
    pool = [assessor("a", paused=True), assessor("b", micro_credential_ids=frozenset({"other"}))]
    assert chosen_id(attempt(), pool) is None
    assert chosen_id(attempt(), [*pool, assessor("c", open_assignments=4)]) == "c"


def test_a_resubmission_goes_back_to_the_earlier_assessor_when_eligible():
    pool = [assessor("a"), assessor("b", open_assignments=4)]
    assert chosen_id(attempt(earlier="b"), pool) == "b"


def test_a_resubmission_goes_elsewhere_when_the_earlier_assessor_is_not_eligible():
    pool = [assessor("a", open_assignments=1), assessor("b", paused=True), assessor("c", open_assignments=2)]
    assert chosen_id(attempt(earlier="b"), pool) == "a"
    assert chosen_id(attempt(earlier="gone"), pool) == "a"


def test_a_held_resubmission_waits_for_its_full_earlier_assessor_and_nobody_else_gets_it():
    pool = [assessor("a"), assessor("b", open_assignments=2, capacity=2)]
    assert chosen_id(attempt(earlier="b", held=True), pool) is None
    assert chosen_id(attempt(earlier="b", held=False), pool) == "a"  # the hold ran out
    room = [assessor("a"), assessor("b", open_assignments=1, capacity=2)]
    assert chosen_id(attempt(earlier="b", held=True), room) == "b"


def test_a_held_resubmission_goes_elsewhere_at_once_when_the_earlier_assessor_may_not_take_it():
    full = {"open_assignments": 2, "capacity": 2}
    cannot = [
        assessor("b", paused=True, **full),
        assessor("b", micro_credential_ids=frozenset({"other"}), **full),
        assessor("b", conflict_hashes=frozenset({"org-1"}), **full),
    ]
    for earlier in cannot:
        assert chosen_id(attempt(frozenset({"org-1"}), earlier="b", held=True), [assessor("a"), earlier]) == "a"
    assert chosen_id(attempt(earlier="gone", held=True), [assessor("a")]) == "a"
    full_b = assessor("b", **full)
    avoided = AttemptToAssign(
        MC, frozenset(), earlier_assessor_id="b", avoided_assessor_ids=frozenset({"b"}), held=True
    )
    excluded = AttemptToAssign(
        MC, frozenset(), earlier_assessor_id="b", excluded_assessor_ids=frozenset({"b"}), held=True
    )
    assert chosen_id(avoided, [assessor("a"), full_b]) == "a"
    assert chosen_id(excluded, [assessor("a"), full_b]) == "a"


def test_least_load_wins_then_least_recently_assigned_then_id():
    assert chosen_id(attempt(), [assessor("a", open_assignments=2), assessor("b", open_assignments=1)]) == "b"
    recent, earlier = T0 + timedelta(hours=1), T0
    pool = [assessor("a", last_assigned_at=recent), assessor("b", last_assigned_at=earlier)]
    assert chosen_id(attempt(), pool) == "b"
    assert chosen_id(attempt(), [*pool, assessor("c", last_assigned_at=None)]) == "c"
    assert chosen_id(attempt(), [assessor("z", last_assigned_at=T0), assessor("y", last_assigned_at=T0)]) == "y"


hashes = st.frozensets(st.sampled_from(["h1", "h2", "h3", "h4"]), max_size=3)
pools = st.lists(
    st.builds(
        CandidateAssessor,
        id=st.text("abcdef", min_size=1, max_size=3),
        micro_credential_ids=st.frozensets(st.sampled_from([MC, "other"]), max_size=2),
        capacity=st.integers(1, 3),
        open_assignments=st.integers(0, 4),
        paused=st.booleans(),
        conflict_hashes=hashes,
        last_assigned_at=st.none() | st.integers(0, 5).map(lambda hours: T0 + timedelta(hours=hours)),
    ),
    max_size=8,
)


@given(pool=pools, conflict_hashes=hashes, earlier=st.none() | st.text("abcdef", min_size=1, max_size=3))
def test_the_chosen_assessor_is_always_eligible_and_someone_is_chosen_iff_anyone_is(pool, conflict_hashes, earlier):
    to_assign = attempt(conflict_hashes, earlier)
    eligible = [candidate for candidate in pool if eligible_by_the_rule(candidate, to_assign)]
    chosen = choose_assessor(to_assign, pool)
    if chosen is None:
        assert not eligible
        return
    assert eligible_by_the_rule(chosen, to_assign)
    assert chosen.conflict_hashes.isdisjoint(conflict_hashes)
    assert chosen.open_assignments < chosen.capacity
    if any(candidate.id == earlier for candidate in eligible):
        assert chosen.id == earlier
    else:
        assert chosen.open_assignments == min(candidate.open_assignments for candidate in eligible)


ids = st.text("abcdef", min_size=1, max_size=3)


def test_excluded_assessors_are_never_chosen_and_avoided_ones_only_as_a_last_resort():
    pool = [assessor("a"), assessor("b", open_assignments=3), assessor("c", open_assignments=4)]
    excluded = AttemptToAssign(MC, frozenset(), excluded_assessor_ids=frozenset({"a"}))
    assert chosen_id(excluded, pool) == "b"
    avoided = AttemptToAssign(MC, frozenset(), earlier_assessor_id="a", avoided_assessor_ids=frozenset({"a", "b"}))
    assert chosen_id(avoided, pool) == "c"
    assert chosen_id(avoided, pool[:2]) == "a"  # nobody else: the work comes back to them


@given(
    pool=pools,
    conflict_hashes=hashes,
    excluded=st.frozensets(ids, max_size=3),
    avoided=st.frozensets(ids, max_size=3),
)
def test_conflicted_full_paused_unqualified_or_excluded_assessors_are_never_chosen(
    pool, conflict_hashes, excluded, avoided
):
    to_assign = AttemptToAssign(MC, conflict_hashes, excluded_assessor_ids=excluded, avoided_assessor_ids=avoided)
    chosen = choose_assessor(to_assign, pool)
    eligible = [candidate for candidate in pool if eligible_by_the_rule(candidate, to_assign)]
    assert (chosen is None) == (not eligible)
    if chosen is not None:
        assert chosen.conflict_hashes.isdisjoint(conflict_hashes)
        assert chosen.open_assignments < chosen.capacity and not chosen.paused
        assert MC in chosen.micro_credential_ids and chosen.id not in excluded
        preferred = [candidate for candidate in eligible if candidate.id not in avoided]
        assert (chosen.id not in avoided) == bool(preferred)


@given(
    pool=pools,
    conflict_hashes=hashes,
    excluded=st.frozensets(ids, max_size=3),
    avoided=st.frozensets(ids, max_size=3),
    page_size=st.integers(1, 4),
)
def test_choosing_page_by_page_in_fairness_order_is_the_same_choice(
    pool, conflict_hashes, excluded, avoided, page_size
):
    # What the database hands the service: qualified, unpaused, under capacity, in order.
    unique_pool = list({candidate.id: candidate for candidate in pool}.values())
    to_assign = AttemptToAssign(MC, conflict_hashes, excluded_assessor_ids=excluded, avoided_assessor_ids=avoided)
    available = sorted(
        (c for c in unique_pool if MC in c.micro_credential_ids and not c.paused and c.open_assignments < c.capacity),
        key=fairness_by_the_rule,
    )
    choice = PagedChoice(to_assign)
    for start in range(0, len(available), page_size):
        if choice.offer(available[start : start + page_size]):
            break
    expected = chosen_by_the_rule(to_assign, unique_pool)
    assert choose_assessor(to_assign, unique_pool) == expected
    assert choice.finish() == expected


@given(
    pool=pools,
    conflict_hashes=hashes,
    earlier=st.none() | ids,
    held=st.booleans(),
    excluded=st.frozensets(ids, max_size=2),
    avoided=st.frozensets(ids, max_size=2),
)
def test_the_rule_and_its_independent_statement_agree_on_resubmissions_and_holds(
    pool, conflict_hashes, earlier, held, excluded, avoided
):
    to_assign = AttemptToAssign(MC, conflict_hashes, earlier, excluded, avoided, held)
    assert choose_assessor(to_assign, pool) == chosen_by_the_rule(to_assign, pool)
