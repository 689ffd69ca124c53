"""Opportunistic batching across concurrent requests.

Used for the models (classifier and split cost about a millisecond per call whatever
the batch size up to a few dozen texts: numpy set-up, not per-text work) and for
intake's writes to PostgreSQL and Valkey (one statement or pipeline, one commit,
one round trip for several requests). A request that arrives while a batch is
running waits for the next batch; a request that arrives when nothing runs starts
a batch of one at once. So nothing waits for a timer: under low load latency is
unchanged, under load the cost per item falls.
"""
from __future__ import annotations

import asyncio
import inspect
from concurrent.futures import Executor
from typing import Awaitable, Callable, Generic, Sequence, TypeVar, Union

T = TypeVar("T")
R = TypeVar("R")

BatchFn = Union[Callable[[list[T]], Sequence[R]], Callable[[list[T]], Awaitable[Sequence[R]]]]


class Batcher(Generic[T, R]):
    """Runs fn(items) -> results one batch at a time, gathering callers meanwhile.

    A plain function runs in executor, or on the loop itself when executor is None (right for
    short CPU-bound work in pure Python: under the GIL a thread adds the hand-off's cost and no
    parallelism; the loop waits at most one batch). A coroutine function is awaited. A result
    that is an exception is raised to that item's caller only; an exception raised by fn goes
    to every caller of the batch.
    """

    def __init__(self, fn: BatchFn, executor: Executor | None = None, max_batch: int = 32):
        self.fn = fn
        self.executor = executor
        self.max_batch = max_batch
        self._is_async = inspect.iscoroutinefunction(fn)
        self._pending: list[tuple[T, asyncio.Future]] = []
        self._task: asyncio.Task | None = None
        self.batches = 0  # batches run so far (for tests and diagnostics)
        self.items = 0

    async def submit(self, item: T) -> R:
        """fn's result for item, computed in a batch with whatever else is waiting."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((item, future))
        if self._task is None:
            self._task = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        """Run batches until nobody waits."""
        try:
            while self._pending:
                batch, self._pending = self._pending[:self.max_batch], self._pending[self.max_batch:]
                live = [(item, fut) for item, fut in batch if not fut.done()]  # cancelled callers drop out
                if live:
                    await self._run(live)
        finally:
            self._task = None

    async def _call(self, items: list[T]) -> Sequence[R]:
        if self._is_async:
            return await self.fn(items)
        if self.executor is None:
            return self.fn(items)
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.fn, items)

    async def _run(self, batch: list[tuple[T, asyncio.Future]]) -> None:
        """One call of fn; each caller gets its own result, or the batch's exception."""
        self.batches += 1
        self.items += len(batch)
        try:
            results = await self._call([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"batch function returned {len(results)} results for {len(batch)} items")
        except asyncio.CancelledError:  # shutting down: nobody should wait for this batch
            for _, fut in batch:
                fut.cancel()
            raise
        except Exception as exc:  # noqa: BLE001 - handed to every caller of this batch
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        for (_, fut), result in zip(batch, results):
            if fut.done():
                continue
            if isinstance(result, BaseException):
                fut.set_exception(result)
            else:
                fut.set_result(result)
