"""APScheduler inside the service (in progress)."""


async def scheduler_ctx(app):
    """Start the scheduler with the app and stop it on cleanup."""
    yield
