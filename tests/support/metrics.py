"""What a Prometheus scrape of an Awardpath process reads, for the end-to-end tests."""

import httpx
from prometheus_client.parser import text_string_to_metric_families

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(url: str) -> Samples:
    """`/metrics` at `url` as {(sample name, labels): value}."""
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"{url}/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def total(metrics: Samples, name: str, **labels: str) -> float:
    """The sum of `name`'s samples that carry `labels` (among others)."""
    wanted = set(labels.items())
    return sum(
        value for (sample, sample_labels), value in metrics.items() if sample == name and wanted <= sample_labels
    )
