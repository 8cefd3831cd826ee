"""Mutating GitHub requests spaced a second apart per installation, across clients and jobs.

GitHub asks integrations to wait at least one second between mutating requests of one
user or installation, and to make them serially, or secondary rate limits follow. Each job
opens its own client, so the spacing cannot live in a client: one `WritePacer` per
process (held by the `GitHubFactory`) makes one installation's writes serial and spaced.
The bound is per process: N `serve` or `worker` processes may make N writes a second for
one installation (the README's scale-out section says so).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager


class WritePacer:
    """One write at a time per key, each starting `interval` seconds after the last ended."""

    def __init__(
        self,
        interval: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = interval
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._keys: dict[Hashable, tuple[threading.Lock, list[float]]] = {}

    @contextmanager
    def turn(self, key: Hashable) -> Iterator[None]:
        """Wait for this key's turn, hold it for the block, and note when the block ended."""
        with self._lock:
            lock, last = self._keys.setdefault(key, (threading.Lock(), [-math.inf]))
        with lock:
            wait = last[0] + self._interval - self._clock()
            if wait > 0:
                self._sleep(wait)
            try:
                yield
            finally:
                last[0] = self._clock()
