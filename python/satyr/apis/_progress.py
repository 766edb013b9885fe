"""``progress=True`` for the many-call methods: a tqdm bar over the items, advanced by a chunk's
size as its task ends (in whatever order the tasks end)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = ["Progress"]


class Progress:
    """A tqdm bar named ``what``; ``ImportError`` (saying what to install) without tqdm."""

    def __init__(self, what: str) -> None:
        try:
            from tqdm.auto import tqdm
        except ImportError as e:
            raise ImportError(
                f"{what}(progress=True) shows a tqdm progress bar: install tqdm "
                "(pip install tqdm) or leave progress off"
            ) from e
        self._bar = tqdm(desc=what, unit="item")
        self._sizes: list[int] = []
        self._left = 0
        self._lock = threading.Lock()

    def counted(self, parts: Iterable[list[Any]]) -> Iterator[list[Any]]:
        """``parts`` (the chunks of items), noting each one's size."""
        for part in parts:
            self._sizes.append(len(part))
            yield part

    def track(self, pending: Sequence[Any]) -> None:
        """Follows ``pending`` (a Future or AsyncResult per counted chunk, in order): each one's
        end advances the bar by its chunk's size; the last one closes the bar."""
        self._bar.total = sum(self._sizes)
        self._bar.refresh()
        self._left = len(pending)
        if not pending:
            self._bar.close()
        for item, size in zip(pending, self._sizes, strict=True):
            item.add_done_callback(functools.partial(self._ended, size))

    def close(self) -> None:
        """Closes the bar early (the calls could not all be submitted)."""
        self._bar.close()

    def _ended(self, size: int, _done: object) -> None:
        with self._lock:
            self._bar.update(size)
            self._left -= 1
            last = self._left == 0
        if last:
            self._bar.close()
