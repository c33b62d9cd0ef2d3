"""Agreement statistics over plain data: how far two assessors' section levels agree.

A pair is one rubric section of one double-scored attempt, levelled by two independent
assessors. Levels are compared by their rank in the section's ordered levels (lowest
first): exact agreement counts equal ranks, adjacent agreement counts ranks at most one
apart (exact included). Cohen's kappa corrects exact agreement for chance, treating the
level ids as the categories: kappa = (p_o - p_e) / (1 - p_e), where p_o is the observed
agreement and p_e the agreement expected if each assessor kept their own level
frequencies but chose independently.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import mean, median


@dataclass(frozen=True)
class LevelPair:
    first: str
    second: str
    first_rank: int
    second_rank: int


@dataclass(frozen=True)
class Agreement:
    pairs: int
    exact: float | None
    adjacent: float | None
    kappa: float | None


def agreement(pairs: Sequence[LevelPair]) -> Agreement:
    if not pairs:
        return Agreement(pairs=0, exact=None, adjacent=None, kappa=None)
    exact = sum(pair.first_rank == pair.second_rank for pair in pairs) / len(pairs)
    adjacent = sum(abs(pair.first_rank - pair.second_rank) <= 1 for pair in pairs) / len(pairs)
    return Agreement(
        pairs=len(pairs),
        exact=exact,
        adjacent=adjacent,
        kappa=cohens_kappa([(pair.first, pair.second) for pair in pairs]),
    )


def cohens_kappa(labels: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa of two raters' labels; None when chance agreement is certain (p_e = 1:
    both raters used one and the same label throughout) and kappa is undefined."""
    if not labels:
        return None
    total = len(labels)
    observed = sum(first == second for first, second in labels) / total
    firsts = Counter(first for first, _ in labels)
    seconds = Counter(second for _, second in labels)
    expected = sum(firsts[label] * seconds[label] for label in firsts) / (total * total)
    if expected == 1:
        return None
    return (observed - expected) / (1 - expected)


@dataclass(frozen=True)
class Turnaround:
    count: int
    mean_seconds: float | None
    median_seconds: float | None


def turnaround(durations_seconds: Sequence[float]) -> Turnaround:
    if not durations_seconds:
        return Turnaround(count=0, mean_seconds=None, median_seconds=None)
    return Turnaround(
        count=len(durations_seconds), mean_seconds=mean(durations_seconds), median_seconds=median(durations_seconds)
    )


def share(hits: int, total: int) -> float | None:
    return hits / total if total else None
