"""The in-process transport delivers in the publishing relay's task: one key whose consumer
keeps failing must not hold up the others (Kafka gets the same from its partitions)."""

from awardpath_shared.events import MicroCredentialPublished
from awardpath_shared.ids import new_id
from awardpath_shared.settings import ServiceSettings
from tests.support.delivery import Delivery
from tests.support.messaging import published_event
from tests.support.polling import eventually


async def test_a_key_whose_consumer_is_retrying_holds_up_no_other_key(postgres_url):
    # Three tries a second apart: the poison is still being retried while the rest goes on.
    settings = ServiceSettings(consumer_max_attempts=3, consumer_retry_backoff_seconds=1.0)
    delivery = Delivery("inprocess", postgres_url, settings)
    handled = []

    async def refuses_poison(_uow, event: MicroCredentialPublished) -> None:
        if event.title == "poison":
            raise ValueError("cannot handle this one")
        handled.append(event.title)

    try:
        await delivery.open({MicroCredentialPublished: refuses_poison})
        await delivery.publish(published_event("poison", new_id()), published_event("healthy", new_id()))
        await eventually(lambda: handled, lambda seen: seen == ["healthy"], timeout=2)
        assert await delivery.dead_letters() == []  # the poison is still retrying meanwhile
        [letter] = await eventually(delivery.dead_letters, lambda letters: len(letters) == 1, timeout=10)
        assert letter.cloudevent.get_data()["title"] == "poison"
    finally:
        await delivery.close()
