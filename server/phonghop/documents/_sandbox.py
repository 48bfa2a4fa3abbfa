"""Child processes with memory, CPU and wall-clock limits, for parsing untrusted PDFs.

pdfium is C++ and pypdf is pure Python; both read files that anyone with an upload right
can craft. A few kilobytes can make pdfium allocate gigabytes or call ``abort()``, and a
page tree can make pypdf loop for minutes. None of that may touch the server process, so
every parse runs in a child process that:

* has an address-space ceiling (``RLIMIT_AS``): an allocation bomb ends in ``MemoryError``
  or a crash of the child, never in the kernel's OOM killer choosing the server;
* has a CPU ceiling (``RLIMIT_CPU``) *and* is watched by the parent with a wall-clock
  timeout, because a child can also hang without burning CPU;
* writes no core file (a core dump would copy a classified document onto the disk);
* ignores SIGINT, so Ctrl-C on the server is handled once, by the server.

Children come from a ``forkserver`` rather than ``fork``: forking the server itself would
copy its threads' locks (uvicorn, the database pool) in whatever state they are in. The
fork server is a small clean process that has imported pypdf, pypdfium2 and Pillow once,
so a new child starts in a few milliseconds instead of the ~100 ms a ``spawn`` costs.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import resource
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import ForkServerContext
from typing import Any, TypeVar

from phonghop.errors import PhonghopError

T = TypeVar("T")

# Imported once by the fork server, so that children start with them already loaded.
_PRELOAD = [
    "pypdf",
    "pypdfium2",
    "PIL.Image",
    "PIL.WebPImagePlugin",
    "PIL.JpegImagePlugin",
    "phonghop.documents.inspection",
    "phonghop.documents.rendering",
    "phonghop.documents.watermark",
]

_context_lock = threading.Lock()
_context: ForkServerContext | None = None


@dataclass(frozen=True)
class ProcessLimits:
    """Resource ceilings of one child process (settings; the defaults suit A4 documents).

    ``memory_bytes`` bounds the whole address space of the child, interpreter and pdfium
    included (~70 MB at rest). ``cpu_seconds`` is CPU time per task; ``wall_seconds`` is
    what the caller waits before killing the child.
    """

    memory_bytes: int = 1 << 30
    cpu_seconds: int = 60
    wall_seconds: float = 90.0


class WorkerTimeout(Exception):
    """The child used up its CPU or wall-clock time and was killed."""


class WorkerCrashed(Exception):
    """The child died without answering (signal, ``abort()``, out of memory in C code)."""

    def __init__(self, exitcode: int | None) -> None:
        self.exitcode = exitcode
        super().__init__(f"worker exited with code {exitcode}")


class WorkerOutOfMemory(Exception):
    """The child hit its address-space ceiling and reported ``MemoryError``."""


class WorkerFailed(Exception):
    """The child raised an exception that is not a :class:`PhonghopError` (a bug or a
    parser failure the task did not classify)."""


def mp_context() -> ForkServerContext:
    """The process context shared by the sandbox and the render pool.

    ``set_forkserver_preload`` is global to the interpreter; it is set once, before the
    fork server starts, and only adds modules (it never changes how children behave).
    """
    global _context
    with _context_lock:
        if _context is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(_PRELOAD)
            _context = ctx
        return _context


def apply_limits(limits: ProcessLimits, *, persistent: bool = False) -> None:
    """Called first thing inside a child process.

    A one-shot child gets a hard CPU limit (SIGXCPU, then SIGKILL a few seconds later).
    A persistent worker keeps an unlimited hard CPU limit so that it can move its soft
    limit forward before each task (:func:`renew_cpu_budget`); the parent's wall-clock
    timeout is the backstop for both.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    if persistent:
        renew_cpu_budget(limits.cpu_seconds)
    else:
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))


def renew_cpu_budget(seconds: int) -> None:
    """Allow ``seconds`` more CPU time from now (the soft limit counts from process start)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = int(usage.ru_utime + usage.ru_stime) + 1
    _soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = used + seconds
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def encode_exception(exc: BaseException) -> tuple[Any, ...]:
    """How a child reports an exception to its parent.

    Exceptions are not pickled as such: ``PhonghopError`` takes its code positionally and
    its parameters by keyword, which the default exception pickling cannot rebuild.
    """
    if isinstance(exc, PhonghopError):
        return ("error", type(exc), exc.code, exc.params)
    if isinstance(exc, MemoryError):
        return ("memory",)
    return ("exception", type(exc).__name__, str(exc)[:500])


def decode_outcome(outcome: tuple[Any, ...]) -> Any:
    """The value a child sent, or the exception it reported, raised in the parent."""
    kind = outcome[0]
    if kind == "ok":
        return outcome[1]
    if kind == "error":
        cls, code, params = outcome[1], outcome[2], outcome[3]
        raise cls(code, **params)
    if kind == "memory":
        raise WorkerOutOfMemory()
    raise WorkerFailed(f"{outcome[1]}: {outcome[2]}")


def _run_child(
    conn: multiprocessing.connection.Connection,
    fn: Callable[..., Any],
    args: tuple[Any, ...],
    limits: ProcessLimits,
) -> None:
    apply_limits(limits)
    try:
        outcome: tuple[Any, ...] = ("ok", fn(*args))
    except BaseException as exc:
        outcome = encode_exception(exc)
    try:
        conn.send(outcome)
    except MemoryError:
        # The answer itself did not fit under the ceiling (enormous text layer).
        conn.send(("memory",))
    finally:
        conn.close()


def run_limited(fn: Callable[..., T], args: tuple[Any, ...], limits: ProcessLimits) -> T:
    """Run ``fn(*args)`` in a fresh limited child process and return its result.

    Blocking: call it from a worker thread (``asyncio.to_thread``), not the event loop.
    ``fn`` and ``args`` must be picklable (a module-level function). A
    :class:`PhonghopError` raised by ``fn`` is raised again here with the same code; the
    child's death, timeout or memory exhaustion raise the exceptions above.
    """
    ctx = mp_context()
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_run_child, args=(sender, fn, args, limits), daemon=True)
    try:
        process.start()
    except BaseException:
        receiver.close()
        sender.close()
        raise
    try:
        sender.close()
        if not receiver.poll(limits.wall_seconds):
            raise WorkerTimeout()
        try:
            outcome = receiver.recv()
        except (EOFError, OSError):
            process.join(5)
            if process.exitcode == -signal.SIGXCPU:
                raise WorkerTimeout() from None
            raise WorkerCrashed(process.exitcode) from None
    finally:
        receiver.close()
        sender.close()
        if process.is_alive():
            process.kill()
        process.join()
    result: T = decode_outcome(outcome)
    return result
