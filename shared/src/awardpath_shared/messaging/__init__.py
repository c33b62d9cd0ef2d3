"""Messaging: transactional outbox, outbox relay, idempotent consumers, transports.

Write path: a service stages events with `UnitOfWork.publish` in the same transaction as its
state change; the entry point commits both. The `OutboxRelay` publishes committed rows
through the `Transport` and marks them sent only once the transport accepted them.

Read path: the transport hands each CloudEvent to a service's `EventConsumer` under one
retry policy (`delivery`); the consumer runs the handler from the service's handler map and
writes a processed-event row in one transaction, so a redelivered event changes nothing.
What keeps failing is dead-lettered (`dead_letters`).
"""
