"""The outbox relay publishing to Redis Streams (integration)."""

import json
import uuid

import pytest

from tests.store.test_storage_contract import Pinged
from xingqu.bootstrap import Platform
from xingqu.store.bus import NoPublisher, RedisStreamPublisher, make_publisher


def test_make_publisher_by_url() -> None:
    assert isinstance(make_publisher("outbox"), NoPublisher)
    with pytest.raises(ValueError, match="unsupported event bus URL"):
        make_publisher("kafka://x")


@pytest.mark.integration
def test_relay_publishes_each_event_once_to_a_redis_stream(
    platform: Platform, redis_url: str
) -> None:
    # given a relay that publishes to a fresh stream
    publisher = RedisStreamPublisher(redis_url, stream=f"xingqu:test:{uuid.uuid4().hex}")
    platform.relay.publisher = publisher
    platform.relay.handlers = {}
    for i in (1, 2, 3):
        with platform.uow() as uow:
            uow.emit(Pinged(ping_id=i))
            uow.commit()
    try:
        # when the outbox is drained twice
        assert platform.drain_events() == 3
        assert platform.drain_events() == 0
        # then the stream holds the three events, in order, with their outbox ids
        entries = publisher.client.xrange(publisher.stream)
        decoded = [json.loads(fields[b"event"]) for _, fields in entries]
        assert [(e["name"], e["payload"]) for e in decoded] == [
            ("test.pinged", {"ping_id": i}) for i in (1, 2, 3)
        ]
        assert [int(fields[b"id"]) for _, fields in entries] == [e["id"] for e in decoded]
    finally:
        publisher.client.delete(publisher.stream)
        publisher.close()
