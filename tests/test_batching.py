"""The intake batcher: concurrent callers share model calls, each gets its own result."""
import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from hotline.batching import Batcher


@pytest.fixture
def executor():
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


async def test_lone_caller_runs_at_once(executor):
    batcher = Batcher(lambda items: [i * 2 for i in items], executor)
    assert await batcher.submit(21) == 42
    assert (batcher.batches, batcher.items) == (1, 1)


async def test_callers_arriving_during_a_batch_share_the_next_one(executor):
    gate = threading.Event()
    calls: list[list[int]] = []

    def fn(items):
        calls.append(list(items))
        if len(calls) == 1:
            gate.wait(5)  # hold the first batch until the others are queued
        return [f"r{i}" for i in items]

    batcher = Batcher(fn, executor)
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0.05)
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 11)]
    await asyncio.sleep(0.05)
    gate.set()
    results = await asyncio.gather(first, *rest)
    assert results == [f"r{i}" for i in range(11)]
    assert calls == [[0], list(range(1, 11))]


async def test_batches_are_capped(executor):
    gate = threading.Event()
    sizes: list[int] = []

    def fn(items):
        gate.wait(5)
        sizes.append(len(items))
        return items

    batcher = Batcher(fn, executor, max_batch=4)
    tasks = [asyncio.create_task(batcher.submit(i)) for i in range(10)]
    await asyncio.sleep(0.05)
    gate.set()
    assert await asyncio.gather(*tasks) == list(range(10))
    assert sizes == [4, 4, 2]


async def test_an_error_reaches_every_caller_of_its_batch_and_the_next_batch_runs(executor):
    def fn(items):
        if "bad" in items:
            raise ValueError("model failed")
        return [s.upper() for s in items]

    batcher = Batcher(fn, executor)
    results = await asyncio.gather(batcher.submit("a"), batcher.submit("bad"), return_exceptions=True)
    assert all(isinstance(r, ValueError) for r in results)
    assert await batcher.submit("c") == "C"


async def test_a_cancelled_caller_is_skipped(executor):
    gate = threading.Event()
    seen: list[list[str]] = []

    def fn(items):
        gate.wait(5)
        seen.append(list(items))
        return items

    batcher = Batcher(fn, executor)
    first = asyncio.create_task(batcher.submit("first"))
    await asyncio.sleep(0.05)
    gone = asyncio.create_task(batcher.submit("gone"))
    kept = asyncio.create_task(batcher.submit("kept"))
    await asyncio.sleep(0.01)
    gone.cancel()
    gate.set()
    assert await first == "first" and await kept == "kept"
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert seen == [["first"], ["kept"]]


async def test_wrong_result_count_is_an_error(executor):
    batcher = Batcher(lambda items: [], executor)
    with pytest.raises(RuntimeError, match="0 results for 1"):
        await batcher.submit("x")


async def test_a_coroutine_function_runs_on_the_loop_and_batches_concurrent_callers():
    sizes: list[int] = []
    release = asyncio.Event()

    async def fn(items):
        sizes.append(len(items))
        if len(sizes) == 1:
            await release.wait()
        return [i + 100 for i in items]

    batcher = Batcher(fn)
    first = asyncio.create_task(batcher.submit(0))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(batcher.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.gather(first, *rest) == [100, 101, 102, 103, 104, 105]
    assert sizes == [1, 5]


async def test_an_exception_result_reaches_only_its_own_caller():
    async def fn(items):
        return [ValueError(f"bad {i}") if i % 2 else i for i in items]

    batcher = Batcher(fn)
    results = await asyncio.gather(*(batcher.submit(i) for i in range(4)), return_exceptions=True)
    assert results[0] == 0 and results[2] == 2
    assert isinstance(results[1], ValueError) and str(results[1]) == "bad 1"
    assert isinstance(results[3], ValueError) and str(results[3]) == "bad 3"


async def test_without_an_executor_a_plain_function_runs_on_the_loop_in_batches():
    threads: list[int] = []

    def fn(items):
        threads.append(threading.get_ident())
        return [i * 3 for i in items]

    batcher = Batcher(fn, max_batch=3)
    assert await asyncio.gather(*(batcher.submit(i) for i in range(7))) == [i * 3 for i in range(7)]
    assert set(threads) == {threading.get_ident()}
    assert (batcher.batches, batcher.items) == (3, 7)
