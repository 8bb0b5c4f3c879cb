"""Reading and checking a file in a second process, so that ingest uses both cores.

The reader process parses the file and checks every row (the CPU-heavy, GIL-bound part) and
sends checked chunks down a pipe; the ingesting process only appends them. The pipe holds one
chunk, so the reader works one chunk ahead. If the ingesting process dies, the reader's next
send fails and it exits; if the reader dies, the ingest stops with an error and every batch
already appended stays durable.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue, load_catalogue
from ..errors import ConfigurationError, SocialCreditError
from .checking import CheckedChunk, check_chunk
from .readers import read_chunks

__all__ = ["checked_chunks_from_process"]

_METHODS = multiprocessing.get_all_start_methods()
_DONE = "done"
_FAILED = "failed"


def checked_chunks_from_process(
    catalogue: Catalogue, path: str | Path, fmt: str | None, batch_size: int
) -> Iterator[CheckedChunk]:
    """Start the reader process now; return the checked chunks of ``path`` in file order.

    The process is forked when this process runs a single thread (fast to start), spawned
    otherwise (forking a threaded process is unsafe).

    Raises (while iterating):
        ConfigurationError: if the file cannot be read (raised by the reader, passed on).
        SocialCreditError: if the reader process dies.
    """
    method = "fork" if threading.active_count() == 1 and "fork" in _METHODS else "spawn"
    context: Any = multiprocessing.get_context(method)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_read_and_check,
        args=(catalogue.as_dict(), str(path), fmt, batch_size, sender, receiver),
        name="socialcredit-ingest-reader",
        daemon=True,
    )
    process.start()
    sender.close()  # only the reader writes; its death then shows here as EOF
    return _chunks(receiver, process)


def _chunks(receiver: Connection, process: BaseProcess) -> Iterator[CheckedChunk]:
    try:
        yield from _receive(receiver)
    finally:
        receiver.close()
        process.join(timeout=5)
        if process.is_alive():
            process.kill()


def _receive(receiver: Connection) -> Iterator[CheckedChunk]:
    while True:
        try:
            kind, payload = receiver.recv()
        except EOFError as exc:
            raise SocialCreditError("the ingest reader process died") from exc
        if kind == _DONE:
            return
        if kind == _FAILED:
            raise ConfigurationError(payload)
        yield payload


def _read_and_check(
    catalogue_doc: dict[str, Any],
    path: str,
    fmt: str | None,
    batch_size: int,
    out: Connection,
    parents_end: Connection,
) -> None:
    """The reader process: parse, check and send chunks until the file ends."""
    # A forked reader inherits the reading end too; holding it would keep the pipe open after
    # the ingesting process dies, and the reader would wait forever instead of exiting.
    parents_end.close()
    gc.disable()  # as in the ingesting process: acyclic garbage, freed by reference counting
    try:
        catalogue = load_catalogue(catalogue_doc)
        for chunk in read_chunks(path, fmt, batch_size):
            out.send(("chunk", check_chunk(catalogue, chunk)))
        out.send((_DONE, None))
    except BrokenPipeError:
        return  # the ingesting process has gone; nothing left to do
    except SocialCreditError as error:  # sent as text: not every error type round-trips
        out.send((_FAILED, error.message))
    except Exception as error:  # anything else still reaches the caller, as a clear error
        out.send((_FAILED, f"cannot ingest {path}: {error!r}"))
    finally:
        out.close()
