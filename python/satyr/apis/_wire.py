"""The framing of worker mode's connection: pickle protocol 5 messages whose big buffers cross
out of band, so a 100 MB argument is neither copied into a pickle nor read in small pieces.

A message is a header (pickle length, number of buffers, each buffer's length and writability),
the pickle, then the raw buffers. :func:`dumps` pickles a call or a result with its big
``bytes``/``bytearray`` arguments (and anything that pickles itself out of band, such as numpy
arrays) as :class:`pickle.PickleBuffer` views; the sender writes those views to the socket as
they are, and the reader has the native module read each one straight into a new ``bytes``
(``bytearray`` when it was writable), which the unpickled value then uses: one copy into the
socket, one out of it, no zero-filling.
"""

from __future__ import annotations

import os
import pickle
import select
import socket
import struct
from collections.abc import Mapping, Sequence
from typing import Any

import cloudpickle

from satyr._satyr import recv_buffer
from satyr.apis import _pickling as pickling

#: bytes and bytearray arguments and results at least this big travel out of band.
BIG = 1 << 16
#: Reads ask the socket for at least this much, so many small messages cost few system calls.
CHUNK = 1 << 16
#: Socket buffers asked for on a Unix socket (the kernel caps them at net.core.wmem_max and
#: rmem_max): with the default ~200 kB, a 100 MB buffer crosses in ~500 hand-overs between the
#: two processes, and on 2 busy cores each can wait for a time slice (measured here under load:
#: 570-600 ms with the default, 80-140 ms with 4 MB). TCP keeps its own autotuning, which setting
#: a size would disable.
UNIX_BUFFER = 4 << 20
_HEAD = struct.Struct("!QI")
#: An out-of-band buffer: its length and whether it was writable (a bytearray, a numpy array's
#: memory): the reader hands back the same kind.
_SPEC = struct.Struct("!Q?")

#: A pickled value: the pickle and the buffers it refers to (out of band).
Pickled = tuple[Any, list[Any]]


class _Big:
    """Wraps a big bytes/bytearray so that pickle sends it as a buffer (it pickles bytes in
    band); it unpickles as the original type, not as this class."""

    __slots__ = ("data",)

    def __init__(self, data: bytes | bytearray) -> None:
        self.data = data

    def __reduce_ex__(self, protocol: object) -> tuple[Any, ...]:
        return type(self.data), (pickle.PickleBuffer(self.data),)


def _wrap(value: Any) -> Any:
    if type(value) in (bytes, bytearray) and len(value) >= BIG:
        return _Big(value)
    return value


def dumps_call(fn: Any, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Pickled:
    """``(fn, args, kwargs)`` pickled with big arguments out of band."""
    buffers: list[Any] = []
    wrapped = {k: _wrap(v) for k, v in kwargs.items()}
    data = pickling.dumps_call(fn, [_wrap(a) for a in args], wrapped, buffers.append)
    return _outer(data), buffers


def dumps(value: Any) -> Pickled:
    """``value`` pickled, out of band if it is big."""
    buffers: list[Any] = []
    data = cloudpickle.dumps(_wrap(value), protocol=5, buffer_callback=buffers.append)
    return _outer(data), buffers


def _outer(data: bytes) -> Any:
    # A big pickle (a long list, a big str) crosses out of band too, not copied into the message.
    return pickle.PickleBuffer(data) if len(data) >= BIG else data


def loads(pickled: Pickled) -> Any:
    """The value :func:`dumps` or :func:`dumps_call` pickled."""
    data, buffers = pickled
    return cloudpickle.loads(data, buffers=buffers)


class Channel:
    """Messages over a connected stream socket; ``send`` may be called from several threads if
    the caller serializes it, ``recv`` from one."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elif sock.family == socket.AF_UNIX:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, UNIX_BUFFER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, UNIX_BUFFER)
        self._sock = sock
        self._inbox = bytearray()

    def fileno(self) -> int:
        return self._sock.fileno()

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # not connected any more
        self._sock.close()

    def __enter__(self) -> Channel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, obj: Any) -> None:
        """Sends ``obj``: its pickle, then its out-of-band buffers as they are."""
        buffers: list[pickle.PickleBuffer] = []
        data = pickle.dumps(obj, protocol=5, buffer_callback=buffers.append)
        views = [b.raw() for b in buffers]
        specs = b"".join(_SPEC.pack(v.nbytes, not v.readonly) for v in views)
        head = _HEAD.pack(len(data), len(views)) + specs
        if len(data) < CHUNK:
            self._sock.sendall(head + data)
        else:
            self._sock.sendall(head)
            self._sock.sendall(data)
        for view in views:
            self._sock.sendall(view)

    def poll(self, timeout: float | None) -> bool:
        """Whether a message starts within ``timeout`` seconds (or the peer closed)."""
        if self._inbox:
            return True
        ready, _, _ = select.select([self._sock], [], [], timeout)
        return bool(ready)

    def recv(self) -> Any:
        """The next message; EOFError when the peer closed the connection."""
        size, count = _HEAD.unpack(self._take(_HEAD.size))
        specs = [_SPEC.unpack(self._take(_SPEC.size)) for _ in range(count)]
        data = self._take(size)
        if not specs:
            return pickle.loads(data)
        return pickle.loads(data, buffers=[self._take_buffer(n, w) for n, w in specs])

    def _fill(self, want: int) -> None:
        while len(self._inbox) < want:
            chunk = self._sock.recv(max(CHUNK, want - len(self._inbox)))
            if not chunk:
                raise EOFError("the connection was closed")
            self._inbox += chunk

    def _take(self, n: int) -> bytes:
        if n > CHUNK:
            return self._take_buffer(n, False)  # big: straight from the socket
        self._fill(n)
        small = bytes(self._inbox[:n])
        del self._inbox[:n]
        return small

    def _take_buffer(self, n: int, writable: bool) -> Any:
        """``n`` bytes as a new bytes (bytearray if ``writable``): what the inbox holds, then
        the rest read by the native module straight into the object (no zero-fill, no copy)."""
        have = min(len(self._inbox), n)
        prefix = bytes(self._inbox[:have])
        del self._inbox[:have]
        return recv_buffer(self._sock.fileno(), n, prefix, writable)


def channel_of(conn: Any) -> Channel:
    """A Channel on the socket of an authenticated ``multiprocessing.connection.Connection``
    (which is closed: the Channel owns a duplicate of its descriptor)."""
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    conn.close()
    return Channel(sock)
