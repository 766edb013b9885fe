"""LazyFuture behaves as a stdlib Future under every use the stdlib makes of one: waiting
threads are woken, ``wait``/``as_completed`` see it finish, callbacks run once, state errors
are the stdlib's; and a future nobody waits on never makes its condition."""

from __future__ import annotations

import concurrent.futures as cf
import threading

import pytest
from satyr.apis._future import LazyFuture

DEADLINE = 30.0


def test_a_future_nobody_waits_on_makes_no_condition() -> None:
    f = LazyFuture()
    seen: list[object] = []
    f.add_done_callback(seen.append)
    assert f.set_running_or_notify_cancel()
    assert f.running() and not f.done()
    f.set_result(42)
    assert f.done() and not f.cancelled()
    assert f.result() == 42 and f.exception() is None
    assert seen == [f]
    assert "_condition" not in f.__dict__ and "_waiters" not in f.__dict__


def test_exceptions_and_late_callbacks() -> None:
    f = LazyFuture()
    f.set_exception(ValueError("bad"))
    with pytest.raises(ValueError, match="bad"):
        f.result()
    assert isinstance(f.exception(), ValueError)
    seen: list[object] = []
    f.add_done_callback(seen.append)  # already done: runs at once, once
    assert seen == [f]


def test_a_raising_callback_is_logged_and_the_rest_run(caplog: pytest.LogCaptureFixture) -> None:
    f = LazyFuture()
    seen: list[object] = []

    def boom(_: object) -> None:
        raise RuntimeError("callback failed")

    f.add_done_callback(boom)
    f.add_done_callback(seen.append)
    f.set_result(1)
    assert seen == [f]
    f.add_done_callback(boom)  # done already: logged too
    assert sum("exception calling callback" in r.getMessage() for r in caplog.records) == 2


def test_state_errors_are_the_stdlib_ones() -> None:
    f = LazyFuture()
    f.set_result(1)
    with pytest.raises(cf.InvalidStateError):
        f.set_result(2)
    with pytest.raises(cf.InvalidStateError):
        f.set_exception(ValueError())
    assert f.result() == 1
    with pytest.raises(RuntimeError):
        f.set_running_or_notify_cancel()


def test_cancel_before_running() -> None:
    f = LazyFuture()
    seen: list[object] = []
    f.add_done_callback(seen.append)
    assert f.cancel() and f.cancelled() and f.done()
    assert seen == [f]
    assert not f.set_running_or_notify_cancel()
    with pytest.raises(cf.CancelledError):
        f.result()
    with pytest.raises(cf.InvalidStateError):
        f.set_result(1)
    running = LazyFuture()
    running.set_running_or_notify_cancel()
    assert not running.cancel()


def test_a_waiting_thread_is_woken() -> None:
    f = LazyFuture()
    got: list[object] = []
    cond = f._condition  # what a waiter makes first; from here on, the stdlib's own paths
    with cond:
        waiter = threading.Thread(target=lambda: got.append(f.result(DEADLINE)))
        waiter.start()
        assert not f.running()
    f.set_running_or_notify_cancel()
    f.set_result("done")
    waiter.join(DEADLINE)
    assert got == ["done"]


def test_result_times_out_as_the_stdlib() -> None:
    f = LazyFuture()
    with pytest.raises(cf.TimeoutError):
        f.result(0.01)
    with pytest.raises(cf.TimeoutError):
        f.exception(0.01)
    f.set_result(3)  # with a condition now: the stdlib path
    assert f.result(0) == 3


def test_wait_and_as_completed_see_futures_finish_later() -> None:
    futures = [LazyFuture() for _ in range(20)]
    for f in futures[:5]:
        f.set_result(0)  # done before anyone waits

    def finish() -> None:
        for i, f in enumerate(futures[5:], 5):
            if i % 2:
                f.set_result(i)
            else:
                f.set_exception(KeyError(i))

    threading.Timer(0.05, finish).start()
    done = list(cf.as_completed(futures, timeout=DEADLINE))
    assert sorted(map(id, done)) == sorted(map(id, futures))
    first = [LazyFuture(), LazyFuture()]
    threading.Timer(0.05, lambda: first[1].set_result(1)).start()
    finished, pending = cf.wait(first, DEADLINE, return_when=cf.FIRST_COMPLETED)
    assert finished == {first[1]} and pending == {first[0]}


def test_concurrent_waiters_and_resolvers_lose_no_wakeup() -> None:
    """Threads wait on futures while others resolve them at the same moment: whichever makes
    the condition first, every waiter returns."""
    rounds = 300
    futures = [LazyFuture() for _ in range(rounds)]
    results: list[object] = [None] * rounds
    go = threading.Barrier(3)

    def wait_all(step: int) -> None:
        go.wait()
        for i in range(step, rounds, 2):
            results[i] = futures[i].result(DEADLINE)

    def resolve_all() -> None:
        go.wait()
        for i, f in enumerate(futures):
            f.set_running_or_notify_cancel()
            f.set_result(i)

    threads = [threading.Thread(target=wait_all, args=(s,)) for s in (0, 1)]
    threads.append(threading.Thread(target=resolve_all))
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLINE)
    assert not any(t.is_alive() for t in threads)
    assert results == list(range(rounds))


def test_callbacks_added_while_it_resolves_run_exactly_once() -> None:
    for _ in range(200):
        f = LazyFuture()
        calls: list[object] = []
        adder = threading.Thread(target=lambda f=f, calls=calls: f.add_done_callback(calls.append))
        adder.start()
        f.set_result(None)
        adder.join(DEADLINE)
        assert calls == [f]


def test_repr_and_isinstance() -> None:
    f = LazyFuture()
    assert isinstance(f, cf.Future)
    assert "pending" in repr(f)
    f.set_result(1)
    assert "finished returned int" in repr(f)


def test_asyncio_awaits_it() -> None:
    import asyncio

    async def both() -> list[object]:
        late, early = LazyFuture(), LazyFuture()
        early.set_result("early")
        threading.Timer(0.02, late.set_result, ("late",)).start()
        return [await asyncio.wrap_future(early), await asyncio.wrap_future(late)]

    assert asyncio.run(both()) == ["early", "late"]
