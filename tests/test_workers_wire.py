"""Worker mode's connection (satyr.apis._wire): framing, out-of-band buffers that keep their type
and writability, a peer closing mid-message; then big payloads, the pool's ``initializer`` and
its ``retries`` on both clusters (real Mesos and the embedded one)."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator

import cloudpickle
import numpy as np
import pytest
from conftest import RealMesos
from satyr.apis import _wire
from satyr.apis.futures import InitializerError, MesosPoolExecutor, WorkerLostError
from satyr.apis.multiprocessing import Pool
from satyr.proxies.messages import Cpus, Mem

cloudpickle.register_pickle_by_value(sys.modules[__name__])

SMALL = [Cpus(0.1), Mem(64)]
MB = 1 << 20


@pytest.fixture
def pair() -> Iterator[tuple[_wire.Channel, _wire.Channel]]:
    a, b = socket.socketpair()
    with _wire.Channel(a) as left, _wire.Channel(b) as right:
        yield left, right


def exchange(pair: tuple[_wire.Channel, _wire.Channel], message: object) -> object:
    """Sends from one thread while the other end receives (big messages exceed the socket
    buffer)."""
    left, right = pair
    sender = threading.Thread(target=left.send, args=(message,))
    sender.start()
    got = right.recv()
    sender.join(30)
    assert not sender.is_alive()
    return got


def test_small_messages_back_to_back(pair: tuple[_wire.Channel, _wire.Channel]) -> None:
    left, right = pair
    sender = threading.Thread(target=lambda: [left.send(("call", i, [i] * 3)) for i in range(500)])
    sender.start()
    assert right.poll(5)
    assert [right.recv() for _ in range(500)] == [("call", i, [i] * 3) for i in range(500)]
    sender.join(30)
    assert not right.poll(0)


def test_big_values_cross_out_of_band_and_keep_their_type(
    pair: tuple[_wire.Channel, _wire.Channel],
) -> None:
    data = os.urandom(3 * MB)
    writable = bytearray(os.urandom(2 * MB))
    array = np.arange(MB, dtype=np.int64)
    pickled = _wire.dumps_call(len, (data, writable), {"array": array, "small": b"x"})
    assert len(pickled[1]) == 3  # the two big arguments and the array's memory, not in the pickle
    assert len(bytes(pickled[0])) < 4096
    got = exchange(pair, [(7, pickled)])
    assert isinstance(got, list)
    [(call_id, received)] = got
    fn, args, kwargs = _wire.loads(received)
    assert call_id == 7 and fn is len
    assert type(args[0]) is bytes and args[0] == data
    assert type(args[1]) is bytearray and args[1] == writable
    assert kwargs["small"] == b"x"
    assert np.array_equal(kwargs["array"], array)
    kwargs["array"][0] = 42  # a writable array arrives writable, as with plain pickle
    assert kwargs["array"][0] == 42


def test_a_big_pickle_and_a_big_result(pair: tuple[_wire.Channel, _wire.Channel]) -> None:
    text = "satyr" * MB
    got = exchange(pair, _wire.dumps(text))
    assert isinstance(got, tuple)
    assert _wire.loads(got) == text
    result = exchange(pair, (True, _wire.dumps(bytes(5 * MB))))
    assert isinstance(result, tuple)
    assert _wire.loads(result[1]) == bytes(5 * MB)


def test_big_buffers_of_odd_sizes_keep_every_byte(
    pair: tuple[_wire.Channel, _wire.Channel],
) -> None:
    # Sizes that are not multiples of a page nor of the socket's buffer.
    for size in (4 * MB, 9 * MB + 123, 17 * MB - 1):
        data = os.urandom(size)
        writable = bytearray(os.urandom(size + 1))
        got = exchange(pair, _wire.dumps((data, writable)))
        assert isinstance(got, tuple)
        back, back_writable = _wire.loads(got)
        assert type(back) is bytes and back == data
        assert type(back_writable) is bytearray and back_writable == writable


def test_unix_channels_ask_for_big_socket_buffers() -> None:
    a, b = socket.socketpair()
    with _wire.Channel(a) as channel, b:
        sock = socket.socket(fileno=os.dup(channel.fileno()))
        with sock:
            # Linux doubles what it grants and caps it at net.core.wmem_max: well over its
            # ~200 kB default either way, unless the machine's cap is below that default.
            with open("/proc/sys/net/core/wmem_max") as f:
                cap = int(f.read())
            granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF)
            assert granted >= 2 * min(_wire.UNIX_BUFFER, cap)


def test_a_peer_closing_mid_message_is_eof_not_a_hang() -> None:
    a, b = socket.socketpair()
    reader = _wire.Channel(b)
    message = _wire.dumps(os.urandom(2 * MB))
    payload: list[bytes] = []

    class Capture:
        def sendall(self, data: object) -> None:
            payload.append(bytes(data))  # type: ignore[call-overload]

    capture = _wire.Channel(a)
    real = capture._sock
    capture._sock = Capture()  # type: ignore[assignment]
    capture.send(message)
    capture._sock = real
    whole = b"".join(payload)

    def send_half() -> None:
        real.sendall(whole[: len(whole) // 2])
        real.close()

    threading.Thread(target=send_half).start()
    with pytest.raises(EOFError):
        reader.recv()
    reader.close()


# -- on the clusters -------------------------------------------------------------------------


def echo(value: object) -> object:
    return value


def remember(value: str) -> None:
    # The process's environment: this module is pickled by value, so its globals are copies.
    os.environ["WIRE_TEST_INIT"] = value


def recall() -> object:
    return os.environ.get("WIRE_TEST_INIT")


def broken_init() -> None:
    raise KeyError("no such setting")


def die() -> None:
    os._exit(3)


@pytest.fixture(params=["real", "local"])
def cluster(request: pytest.FixtureRequest) -> RealMesos:
    found: RealMesos = request.getfixturevalue(f"{request.param}_mesos")
    return found


def test_big_arguments_and_results_round_trip(cluster: RealMesos) -> None:
    data = os.urandom(20 * MB)
    with MesosPoolExecutor(1, name="wire-big", master=cluster.address, resources=SMALL) as ex:
        got = ex.submit(echo, data).result(timeout=120)
        assert type(got) is bytes and got == data
        array = np.arange(2 * MB, dtype=np.float64)
        back = ex.submit(echo, array).result(timeout=120)
        assert np.array_equal(back, array) and back.flags.writeable


def test_workers_connect_over_tcp_when_a_host_is_set(
    cluster: RealMesos, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SATYR_WORKER_HOST", "127.0.0.1")
    data = os.urandom(3 * MB)
    with MesosPoolExecutor(1, name="wire-tcp", master=cluster.address, resources=SMALL) as ex:
        workers = ex._framework.workers
        assert workers is not None and isinstance(workers.address, tuple)
        assert ex.submit(echo, data).result(timeout=120) == data
    monkeypatch.delenv("SATYR_WORKER_HOST")
    with MesosPoolExecutor(1, name="wire-unix", master=cluster.address, resources=SMALL) as ex:
        workers = ex._framework.workers
        assert workers is not None and isinstance(workers.address, str)  # a Unix socket
        assert ex.submit(echo, data).result(timeout=120) == data


def pause(seconds: float) -> float:
    time.sleep(seconds)  # a slow call (what it stands for: work taking this long)
    return seconds


def hold(address: tuple[str, int]) -> str:
    """Blocks until the test at ``address`` answers."""
    with socket.create_connection(address, timeout=120) as conn:
        return conn.recv(2).decode()


def test_short_calls_do_not_queue_behind_a_long_one(cluster: RealMesos) -> None:
    gate = socket.create_server(("127.0.0.1", 0))
    gate.settimeout(120)
    with MesosPoolExecutor(2, name="wire-ahead", master=cluster.address, resources=SMALL) as ex:
        # The pool learns its calls are slow: then it sends each worker one call at a time.
        assert list(ex.map(pause, [0.05] * 6)) == [0.05] * 6
        held = ex.submit(hold, gate.getsockname())
        conn, _ = gate.accept()  # the long call is running on one worker
        quick = [ex.submit(echo, i) for i in range(4)]
        # All of them run on the other worker while the long call still holds the first.
        assert [f.result(timeout=60) for f in quick] == list(range(4))
        assert not held.done()
        with conn:
            conn.sendall(b"go")
        assert held.result(timeout=60) == "go"
    gate.close()


def test_calls_queued_behind_a_long_one_move_to_an_idle_worker(cluster: RealMesos) -> None:
    gate = socket.create_server(("127.0.0.1", 0))
    gate.settimeout(120)
    with MesosPoolExecutor(2, name="wire-steal", master=cluster.address, resources=SMALL) as ex:
        # Short calls only so far: the pool pipelines several calls to each worker.
        assert list(ex.map(echo, range(20))) == list(range(20))
        held = ex.submit(hold, gate.getsockname())
        conn, _ = gate.accept()
        quick = [ex.submit(echo, i) for i in range(6)]
        # Those sent behind the long call are taken back for the other worker.
        assert [f.result(timeout=60) for f in quick] == list(range(6))
        assert not held.done()
        with conn:
            conn.sendall(b"go")
        assert held.result(timeout=60) == "go"
    gate.close()


@pytest.mark.parametrize("mode", ["workers", "tasks"])
def test_the_initializer_runs_before_calls(cluster: RealMesos, mode: str) -> None:
    with Pool(
        2,
        initializer=remember,
        initargs=("ready",),
        name="wire-init",
        master=cluster.address,
        mode=mode,
        resources=SMALL,
    ) as pool:
        assert pool.map(lambda _: recall(), range(6)) == ["ready"] * 6
        assert pool.apply(recall) == "ready"


@pytest.mark.parametrize("mode", ["workers", "tasks"])
def test_a_raising_initializer_fails_calls_instead_of_hanging(
    cluster: RealMesos, mode: str
) -> None:
    with MesosPoolExecutor(
        1,
        initializer=broken_init,
        name="wire-init-broken",
        master=cluster.address,
        mode=mode,
        resources=SMALL,
    ) as ex:
        futures = [ex.submit(echo, i) for i in range(3)]
        for future in futures:
            exc = future.exception(timeout=120)
            if mode == "workers":
                assert isinstance(exc, InitializerError), exc
                assert "KeyError" in str(exc)
            else:  # each task runs the initializer first: the user's exception, as raised
                assert isinstance(exc, KeyError), exc


def test_the_pool_retries_option_bounds_worker_calls(cluster: RealMesos) -> None:
    with pytest.raises(ValueError, match="retries is the number of attempts"):
        MesosPoolExecutor(1, master=cluster.address, retries=0)
    with MesosPoolExecutor(
        1, name="wire-retries", master=cluster.address, resources=SMALL, retries=1
    ) as ex:
        with pytest.raises(WorkerLostError, match="after 1 attempt"):
            ex.submit(die).result(timeout=120)
        assert ex.submit(echo, 5).result(timeout=120) == 5
