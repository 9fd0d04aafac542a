"""Gathering requests that arrive close together into batches, on a fixed set of threads.

On a GPU one Whisper utterance leaves the device mostly idle: the same ``encode`` and
``generate`` over sixteen utterances cost little more than over one. So when many calls finish
speaking at about the same moment, their utterances should be decoded together. The batcher
holds the first request of a batch for at most ``max_wait_s`` to let others join, takes only
requests with the same key (requests that cannot share a model call, e.g. different feature
window lengths), and runs at most ``workers`` batches at once, which is the same bound the
unbatched pool enforces.

Plain threads and ``concurrent.futures.Future`` rather than asyncio, because the recogniser is
shared by event loops in different threads (the server's, a simulated caller's, tests').
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")


@dataclass
class _Pending(Generic[J, R]):
    key: Hashable
    job: J
    submitted: float
    future: Future[tuple[R, float]] = field(default_factory=Future)


class MicroBatcher(Generic[J, R]):
    """Runs ``run_batch(jobs)`` on batches of up to ``max_batch`` jobs sharing a key.

    Each future resolves to ``(result, queue_wait_s)``: the job's own result and how long it
    waited from :meth:`submit` until its batch started.
    """

    def __init__(
        self,
        run_batch: Callable[[Sequence[J]], Sequence[R]],
        *,
        workers: int,
        max_batch: int,
        max_wait_s: float,
        name: str = "batch",
    ) -> None:
        if workers < 1 or max_batch < 1 or max_wait_s < 0:
            raise ValueError("workers and max_batch must be >= 1 and max_wait_s >= 0")
        self._run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self._queue: list[_Pending[J, R]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._running = 0
        self.peak_running = 0
        self.batches = 0
        self.peak_batch = 0
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    @property
    def waiting(self) -> int:
        """Jobs submitted and not yet in a running batch."""
        with self._cond:
            return len(self._queue)

    @property
    def running(self) -> int:
        """Batches running now (at most ``workers``)."""
        with self._cond:
            return self._running

    def submit(self, key: Hashable, job: J) -> Future[tuple[R, float]]:
        """Queue ``job``; its future gives ``(result, queue_wait_s)`` or the batch's error."""
        pending: _Pending[J, R] = _Pending(key, job, time.perf_counter())
        with self._cond:
            if self._closed:
                raise RuntimeError("the batcher is closed")
            self._queue.append(pending)
            self._cond.notify_all()
        return pending.future

    def _take(self) -> list[_Pending[J, R]] | None:
        """The next batch: the oldest job and up to ``max_batch - 1`` more with its key, once
        the batch is full or the oldest job has waited ``max_wait_s``; None when closed."""
        with self._cond:
            while True:
                if self._closed and not self._queue:
                    return None
                if not self._queue:
                    self._cond.wait()
                    continue
                oldest = self._queue[0]
                same = [p for p in self._queue if p.key == oldest.key][: self.max_batch]
                left = oldest.submitted + self.max_wait_s - time.perf_counter()
                if len(same) >= self.max_batch or left <= 0 or self._closed:
                    taken = {id(p) for p in same}
                    self._queue = [p for p in self._queue if id(p) not in taken]
                    self._running += 1
                    self.peak_running = max(self.peak_running, self._running)
                    self.batches += 1
                    self.peak_batch = max(self.peak_batch, len(same))
                    return same
                self._cond.wait(timeout=left)

    def _work(self) -> None:
        while (batch := self._take()) is not None:
            started = time.perf_counter()
            live = [p for p in batch if p.future.set_running_or_notify_cancel()]
            try:
                results = self._run_batch([p.job for p in live]) if live else []
            except BaseException as exc:  # handed to every waiting caller
                for p in live:
                    p.future.set_exception(exc)
            else:
                for p, result in zip(live, results, strict=True):
                    p.future.set_result((result, started - p.submitted))
            finally:
                with self._cond:
                    self._running -= 1

    def close(self) -> None:
        """Finish queued jobs, then stop the threads."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for thread in self._threads:
            thread.join()
