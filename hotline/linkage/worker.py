"""Delivery worker for the linkage outbox (in progress)."""


async def delivery_ctx(app):
    yield
