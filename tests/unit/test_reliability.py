"""Agreement statistics and the double-scoring draw, against hand-computed values."""

from math import isclose

import pytest

from awardpath_assessment.assignment.service import is_double_scored
from awardpath_assessment.reports.statistics import LevelPair, agreement, cohens_kappa

RANK = {"not_yet": 0, "developing": 1, "proficient": 2}


def pairs(counts: dict[tuple[str, str], int]) -> list[LevelPair]:
    return [
        LevelPair(first=a, second=b, first_rank=RANK[a], second_rank=RANK[b])
        for (a, b), count in counts.items()
        for _ in range(count)
    ]


# Ten section levels from two assessors (rows: first assessor, columns: second):
#               not_yet  developing  proficient | row total
#   not_yet        2         1           1      |    4
#   developing     1         3           0      |    4
#   proficient     0         0           2      |    2
#   column total   3         4           3      |   10
# observed p_o = (2 + 3 + 2) / 10 = 0.7
# expected p_e = (4*3 + 4*4 + 2*3) / 100 = 0.34
# kappa = (0.7 - 0.34) / (1 - 0.34) = 0.36 / 0.66 = 6/11
# adjacent: every pair but not_yet/proficient is at most one level apart = 9/10
HAND_EXAMPLE = {
    ("not_yet", "not_yet"): 2,
    ("not_yet", "developing"): 1,
    ("not_yet", "proficient"): 1,
    ("developing", "not_yet"): 1,
    ("developing", "developing"): 3,
    ("proficient", "proficient"): 2,
}


def test_kappa_exact_and_adjacent_agreement_match_the_hand_computed_example():
    found = agreement(pairs(HAND_EXAMPLE))
    assert found.pairs == 10
    assert isclose(found.exact, 0.7)
    assert isclose(found.adjacent, 0.9)
    assert isclose(found.kappa, 6 / 11)


def test_kappa_is_one_for_perfect_agreement_and_undefined_when_chance_explains_everything():
    assert cohens_kappa([("a", "a"), ("b", "b"), ("a", "a")]) == 1
    assert cohens_kappa([("a", "a"), ("a", "a")]) is None
    assert cohens_kappa([]) is None
    assert isclose(cohens_kappa([("a", "b"), ("b", "a")]), -1)
    assert agreement([]).exact is None


@pytest.mark.parametrize("share", [0.0, 0.25, 0.5, 1.0])
def test_the_double_scored_share_is_met_and_the_draw_is_stable(share):
    draws = [is_double_scored(f"submission-{n}", 1, share) for n in range(4000)]
    assert abs(sum(draws) / len(draws) - share) < 0.03
    assert draws == [is_double_scored(f"submission-{n}", 1, share) for n in range(4000)]
