"""A batch read by several processes: answers in input order, each as soon as it and
those before it are ready; a worker that dies costs only the one input it held.

Each worker has its own pipe and holds one input at a time, so when one is killed
(by the user, or by the system for memory) the parent knows which input it held,
answers that input with `lost(item)` and starts another worker for the rest. A worker
leaves when its pipe closes or its parent is gone (it checks between inputs and while
waiting), so none outlives a parent that was killed; Ctrl-C is the parent's to handle.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection, wait
from typing import Any

AHEAD = 4  # inputs handed out per worker beyond the first answer not yet printed
PARENT_CHECK_S = 0.5  # how often a waiting worker looks for its parent
# Workers that die one after another, with no answer between: then something kills
# every worker (a model too large for memory, say) and the batch stops.
MAX_DEATHS_IN_A_ROW = 8


class WorkersDied(RuntimeError):
    """Worker after worker died without answering: the batch cannot go on."""


def _serve(
    conn: Connection, parent: int, start: Callable, start_args: tuple, work: Callable
) -> None:
    """A worker's life: set up once, then answer inputs until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler came with fork
    try:
        start(*start_args)
        while True:
            while not conn.poll(PARENT_CHECK_S):
                if os.getppid() != parent:
                    return
            item = conn.recv()
            if item is None:
                return
            conn.send(work(item))
    except (EOFError, OSError):  # the parent closed the pipe or is gone
        return


class _Worker:
    def __init__(self, context: Any, start: Callable, start_args: tuple, work: Callable):
        self.conn, theirs = context.Pipe()
        self.process = context.Process(
            target=_serve, args=(theirs, os.getpid(), start, start_args, work), daemon=True
        )
        self.process.start()
        theirs.close()  # only the worker holds its end: its death closes the pipe
        self.index: int | None = None  # the input it holds

    def stop(self) -> None:
        with contextlib.suppress(OSError):
            self.conn.close()
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(2)


def answers_in_order(
    items: list,
    jobs: int,
    start: Callable,
    start_args: tuple,
    work: Callable,
    lost: Callable[[Any], Any],
) -> Iterator[Any]:
    """work(item) for every item, in order, computed by ``jobs`` processes (each set up
    once with start(*start_args)); lost(item) for an item whose worker died holding it.
    Closing the iterator (or an exception in the caller) stops every worker."""
    context = multiprocessing.get_context()
    workers = [_Worker(context, start, start_args, work) for _ in range(min(jobs, len(items)))]
    done: dict[int, Any] = {}
    handed = printed = deaths = 0
    try:
        while printed < len(items):
            for worker in workers:
                if worker.index is None and handed < min(len(items), printed + AHEAD * jobs):
                    worker.index = handed
                    handed += 1
                    try:
                        worker.conn.send(items[worker.index])
                    except OSError:  # died while idle: noticed below
                        pass
            busy = [w for w in workers if w.index is not None]
            if busy:
                ready = set(wait([w.conn for w in busy] + [w.process.sentinel for w in busy]))
                for k, worker in enumerate(workers):
                    if worker.index is None:
                        continue
                    if worker.conn in ready or worker.process.sentinel in ready:
                        answer = _answer(worker)
                        if answer is _NOT_YET:
                            continue
                        if answer is _DEAD:
                            deaths += 1
                            if deaths > MAX_DEATHS_IN_A_ROW:
                                raise WorkersDied(f"{deaths} reading processes died in a row")
                            done[worker.index] = lost(items[worker.index])
                            worker.stop()
                            workers[k] = _Worker(context, start, start_args, work)
                        else:
                            deaths = 0
                            done[worker.index] = answer
                            worker.index = None
            while printed in done:
                yield done.pop(printed)
                printed += 1
    finally:
        for worker in workers:
            worker.stop()


_DEAD, _NOT_YET = object(), object()


def _answer(worker: _Worker) -> Any:
    """The worker's answer; _DEAD when it died before giving one."""
    try:
        if worker.conn.poll():
            return worker.conn.recv()
    except (EOFError, OSError):
        return _DEAD
    return _NOT_YET if worker.process.is_alive() else _DEAD
