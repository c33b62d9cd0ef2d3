"""The one backoff formula: the outbox relay, consumers and webhook deliveries all wait by it."""

import random


def exponential_backoff(failures: int, *, base: float, cap: float, jitter: bool = False) -> float:
    """Seconds to wait after `failures` failed tries: `base` doubled per further failure, at
    most `cap`. With jitter, a random point in the upper half of that, so the retries of many
    failures that happened together spread out."""
    delay: float = min(cap, base * 2 ** max(failures - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2) if jitter else delay
