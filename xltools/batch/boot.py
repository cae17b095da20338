"""How worker processes start, kept light so the command line can start them first.

A batch's workers fork from a *fork server*: one interpreter that imports xltools and loads the
mapping catalogue once (:mod:`xltools.batch._warm`), so each worker starts with everything in
memory. Booting that server takes about as long as this process's own start-up (imports,
catalogue, listing the folder), so ``normalize`` and ``consolidate`` start it the moment they
know workers will be wanted (:func:`prestart`, from the ``--jobs`` option), and the two boots
overlap instead of following each other. This module imports only the standard library: it
runs before anything else of xltools is imported.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys

#: a dask.distributed scheduler to parse on instead of local workers
SCHEDULER_ENV = "XLTOOLS_SCHEDULER"
#: what the fork server imports before forking workers (the catalogue is loaded by ``_warm``)
PRELOAD = ["xltools.pipeline", "xltools.batch.runner", "xltools.batch._warm"]


def cpu_count() -> int:
    """The CPUs this process may run on (its affinity where the system tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def context() -> mp.context.BaseContext:
    """How worker processes start, independent of the current folder.

    forkserver (where there is one, Python 3.11+): workers fork from a clean, single-threaded
    server (fork from a process with threads can deadlock) with xltools preloaded, so each
    start is cheap. The server is launched as ``python -c ...``, which puts the current folder
    first on ``sys.path``: run from a folder holding a directory named ``xltools`` (a clone),
    the server would import *that*. It is started with ``PYTHONSAFEPATH=1`` so it never looks
    there. Elsewhere spawn, which sets the parent's ``sys.path`` before importing anything.
    """
    if _has_forkserver():
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        _start_forkserver()
        return ctx
    return mp.get_context("spawn")


def prestart(jobs: int | None) -> None:
    """Boot the fork server now, in the background, when this run will want workers.

    Nothing is waited for: ``ensure_running`` launches the server process and returns. A run
    that ends up reading in one process (one file, ``--jobs 1``) leaves an idle server behind
    that exits with this process. Never raises: the batch reports a pool that cannot start.
    """
    if (jobs == 1 or cpu_count() < 2 or not _has_forkserver()
            or os.environ.get(SCHEDULER_ENV)):
        return
    try:
        context()
    except Exception:  # noqa: BLE001 (the run itself says why workers are unavailable)
        return


def _has_forkserver() -> bool:
    return "forkserver" in mp.get_all_start_methods() and sys.version_info >= (3, 11)


def _start_forkserver() -> None:
    from multiprocessing import forkserver

    before = os.environ.get("PYTHONSAFEPATH")
    os.environ["PYTHONSAFEPATH"] = "1"
    try:
        forkserver.ensure_running()
    finally:
        if before is None:
            os.environ.pop("PYTHONSAFEPATH", None)
        else:
            os.environ["PYTHONSAFEPATH"] = before
