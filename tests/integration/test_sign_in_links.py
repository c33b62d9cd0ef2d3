"""One-time sign-in links across the workspace's replicas: each replica asks the same real
Redis (Debian's redis-server on loopback) whether a link was taken, so a link works once in
all, and Redis forgets it when the link expires."""

import jwt
import pytest
from redis.asyncio import Redis

from awardpath.workspace.sessions import Person
from awardpath.workspace.settings import WorkspaceSettings
from awardpath.workspace.sign_in import TAKEN_KEY, SignInLinks, TakenInRedis, sign_in_link
from awardpath_shared.ids import utcnow
from tests.support.redis import redis_server
from tests.support.sign_in import token_of

SETTINGS = WorkspaceSettings(sign_in_link_minutes=10)


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


@pytest.fixture
async def replicas(redis_url):
    """Two replicas' views of the links, each with a connection of its own."""
    connections = [Redis.from_url(redis_url), Redis.from_url(redis_url)]
    yield [SignInLinks(SETTINGS, TakenInRedis(connection)) for connection in connections]
    for connection in connections:
        await connection.aclose()


async def test_a_link_taken_on_one_replica_is_refused_on_every_replica(replicas):
    first, second = replicas
    token = token_of(sign_in_link(SETTINGS, "assessor", "assessor-7"))

    assert await second.take(token) == Person(role="assessor", subject="assessor-7")
    assert await first.take(token) is None
    assert await second.take(token) is None
    another = token_of(sign_in_link(SETTINGS, "assessor", "assessor-7"))
    assert await first.take(another) == Person(role="assessor", subject="assessor-7")  # a new link works


async def test_redis_forgets_a_taken_link_when_the_link_expires(replicas, redis_url):
    token = token_of(sign_in_link(SETTINGS, "issuer", "issuer-3"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert await replicas[0].take(token) is not None
    async with Redis.from_url(redis_url) as redis:
        remaining = await redis.ttl(TAKEN_KEY + claims["jti"])
    assert abs(remaining - (claims["exp"] - utcnow().timestamp())) <= 5  # kept exactly as long as the link works
