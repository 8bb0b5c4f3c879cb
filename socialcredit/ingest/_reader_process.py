"""Reading and checking a file in a second process, so that ingest uses both cores.

Reader processes parse the file and check the rows (the CPU-heavy, GIL-bound part), each its
share of the chunks, and send checked chunks down a pipe; the ingesting process only appends
them, in file order. Each pipe holds one chunk, so each reader works one chunk ahead. If the
ingesting process dies, a reader's next send fails and it exits; if a reader dies, the ingest
stops with an error and every batch already appended stays durable.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections.abc import Iterator
from itertools import count
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue, Source, load_catalogue
from ..errors import ConfigurationError, SocialCreditError
from ._checking import CheckedChunk, check_chunk
from ._readers import read_chunks

__all__ = ["checked_chunks_from_process"]

_METHODS = multiprocessing.get_all_start_methods()
READERS = 1
"""Reader processes per ingest: with the column kernels one reader outpaces the appender, and
a second would only parse the file twice."""
_DONE = "done"
_FAILED = "failed"


def checked_chunks_from_process(
    catalogue: Catalogue,
    path: str | Path,
    fmt: str | None,
    batch_size: int,
    readers: int = READERS,
    source: Source | None = None,
) -> Iterator[CheckedChunk]:
    """Start the reader processes now; return the checked chunks of ``path`` in file order.

    Reader ``k`` of ``n`` checks chunks ``k, k + n, ...`` (every reader parses the whole file,
    which costs far less than checking it). The processes are forked when this process runs a
    single thread (fast to start), spawned otherwise (forking a threaded process is unsafe).

    Raises (while iterating):
        ConfigurationError: if the file cannot be read (raised by a reader, passed on).
        SocialCreditError: if a reader process dies.
    """
    method = "fork" if threading.active_count() == 1 and "fork" in _METHODS else "spawn"
    context: Any = multiprocessing.get_context(method)
    pipes = [context.Pipe(duplex=False) for _ in range(readers)]
    document = catalogue.as_dict()
    processes = []
    for part, (_, sender) in enumerate(pipes):
        # A forked reader inherits every pipe end; it must close all but its own sending end,
        # or a dead peer would never show as end-of-file.
        foreign = [end for k, pair in enumerate(pipes) for end in pair if end is not sender]
        process = context.Process(
            target=_read_and_check,
            args=(document, str(path), fmt, batch_size, part, readers, sender, foreign, source),
            name=f"socialcredit-ingest-reader-{part}",
            daemon=True,
        )
        process.start()
        processes.append(process)
    for _, sender in pipes:
        sender.close()
    return _chunks([receiver for receiver, _ in pipes], processes)


def _chunks(receivers: list[Connection], processes: list[BaseProcess]) -> Iterator[CheckedChunk]:
    """Chunks from the readers in turn (chunk i from reader i mod n), until the file ends."""
    streams = [_receive(receiver) for receiver in receivers]
    try:
        for index in count():
            chunk = next(streams[index % len(streams)], None)
            if chunk is None:
                break
            yield chunk
        for stream in streams:  # the others are done too; this surfaces a late failure
            for _ in stream:
                raise SocialCreditError("an ingest reader sent chunks past the end of the file")
    finally:
        for receiver in receivers:
            receiver.close()
        for process in processes:
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
    part: int,
    parts: int,
    out: Connection,
    foreign: list[Connection],
    source: Source | None,
) -> None:
    """Reader ``part`` of ``parts``: parse the file, check and send its share of chunks."""
    for end in foreign:
        end.close()
    gc.disable()  # as in the ingesting process: acyclic garbage, freed by reference counting
    try:
        catalogue = load_catalogue(catalogue_doc)
        for index, chunk in enumerate(read_chunks(path, fmt, batch_size)):
            if index % parts == part:
                out.send(("chunk", check_chunk(catalogue, chunk, source)))
        out.send((_DONE, None))
    except BrokenPipeError:
        return  # the ingesting process has gone; nothing left to do
    except SocialCreditError as error:  # sent as text: not every error type round-trips
        out.send((_FAILED, error.message))
    except Exception as error:  # anything else still reaches the caller, as a clear error
        out.send((_FAILED, f"cannot ingest {path}: {error!r}"))
    finally:
        out.close()
