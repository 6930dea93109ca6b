"""Where the workers run: Ray actors (local or a cluster) or a local pool of processes.

Both backends keep ``workers`` :class:`~.worker.VideoWorker` instances alive, each with its
models loaded once, hand each idle one a job and report :class:`~.jobs.Outcome` values as
they finish.  A worker that dies (a crash, the OOM killer) fails only the video it held,
with a retryable error, and is replaced.  ``events()`` returns ``(job index, stage)`` pairs
as workers start stages.

* :class:`RayBackend` (Ray is an optional extra, ``pip install 'cinescribe[ray]'``; without it
  ``auto`` means processes): one Ray actor per worker declaring ``num_cpus``/``num_gpus``; with
  ``address`` ``None``/``"local"`` a private local Ray instance, else ``ray.init(address)``
  (``"auto"``, ``"HOST:PORT"``, ``"ray://HOST:PORT"``).  Every node needs cinescribe
  installed and the videos and output root at the same paths (a shared file system).
  Ray's own logs stay out of the terminal.
* :class:`ProcessBackend`: ``workers`` spawned processes on this machine, which die with
  the batch.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import pickle
import signal
import socket
import sys
from multiprocessing import connection as mp_connection
from typing import Any, Protocol

from ..errors import InputError, MissingDependencyError
from .jobs import Job, Outcome
from .worker import BatchSettings, VideoWorker

log = logging.getLogger("cinescribe.scale")
RAY_INSTALL = "pip install 'cinescribe[ray]'"
CLOSE_TIMEOUT = 10.0  # seconds a worker gets to close its models when the batch ends


class Backend(Protocol):
    """What the batch driver needs of a backend (see the module docstring)."""

    name: str
    workers: int

    def idle(self) -> int: ...

    def submit(self, job: Job) -> None: ...

    def poll(self, timeout: float) -> list[Outcome]: ...

    def events(self) -> list[tuple[int, str]]: ...

    def close(self) -> None: ...


def died(job: Job, detail: str) -> Outcome:
    """The retryable failure of a job whose worker process ended under it."""
    return Outcome(job.index, "failed", error=f"the worker died while processing this video ({detail})")


def ray_available() -> bool:
    try:
        import ray  # noqa: F401
    except ImportError:
        return False
    return True


def check_address(address: str | None, timeout: float = 5.0) -> None:
    """InputError unless the cluster at ``HOST:PORT`` / ``ray://HOST:PORT`` accepts connections.

    (Ray itself retries an unreachable address for minutes.)  ``None``, ``local`` and
    ``auto`` are not checked here.
    """
    if address in (None, "local", "auto"):
        return
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(f"--ray-address {address!r}: give auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as exc:
        raise InputError(f"cannot reach the Ray cluster at {address} ({exc.strerror or exc}); check --ray-address "
                         "and that the cluster is running") from None


def make_backend(kind: str, settings: BatchSettings, *, workers: int | None, jobs: int, address: str | None,
                 cpus: float, gpus: float) -> Backend:
    """The backend named by ``kind`` (``auto``: Ray if installed, else processes)."""
    remote = address not in (None, "local")
    if kind == "processes":
        if remote:
            raise InputError("--ray-address needs --backend ray (or auto)")
        return ProcessBackend(settings, _local_workers(workers, jobs, cpus))
    if not ray_available():
        if kind == "ray" or remote:
            raise MissingDependencyError(f"Ray is not installed; {RAY_INSTALL}, or use --backend processes")
        log.info("Ray is not installed: running on a local process pool")
        return ProcessBackend(settings, _local_workers(workers, jobs, cpus))
    return RayBackend(settings, workers=workers, jobs=jobs, address=address, cpus=cpus, gpus=gpus)


def _local_workers(workers: int | None, jobs: int, cpus: float) -> int:
    n = workers if workers is not None else max(1, int((os.cpu_count() or 1) // max(cpus, 1)))
    return max(1, min(n, jobs))


class _Stages:
    """``put_nowait`` for stage events of a pool process, sent down its result pipe."""

    def __init__(self, results: mp_connection.Connection) -> None:
        self._results = results

    def put_nowait(self, item: tuple[int, str]) -> None:
        self._results.send(("stage", *item))


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)


def _serve(settings: BatchSettings, tasks: Any, results: mp_connection.Connection) -> None:
    """A pool process: run jobs from ``tasks`` until ``None``; outcomes go down ``results``."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = VideoWorker(settings, events=_Stages(results))
    try:
        while (job := tasks.get()) is not None:
            results.send(("done", worker.run(job)))
    finally:
        worker.close()


class _Proc:
    """One pool process with its own task queue and its own result pipe.

    Nothing is shared between processes: a process killed in the middle of a write can
    only garble its own pipe, which is dropped with it, never stall the others (a shared
    ``multiprocessing.Queue`` keeps its lock forever when its holder dies).
    """

    def __init__(self, ctx: Any, settings: BatchSettings) -> None:
        self.tasks = ctx.SimpleQueue()
        self.results, writer = ctx.Pipe(duplex=False)
        self.process = ctx.Process(target=_serve, args=(settings, self.tasks, writer), daemon=True)
        self.process.start()
        writer.close()  # the pipe reads as ended once the process is gone
        self.ended = False
        self.job: Job | None = None


class ProcessBackend:
    """``workers`` local processes (spawned, so that no model or thread state is forked)."""

    name = "processes"

    def __init__(self, settings: BatchSettings, workers: int) -> None:
        self.workers = workers
        self._settings = settings
        self._ctx = mp.get_context("spawn")
        self._procs = [_Proc(self._ctx, settings) for _ in range(workers)]
        self._events: list[tuple[int, str]] = []

    def idle(self) -> int:
        return sum(p.job is None for p in self._procs)

    def submit(self, job: Job) -> None:
        i, proc = next((i, p) for i, p in enumerate(self._procs) if p.job is None)
        if proc.ended or not proc.process.is_alive():
            proc.results.close()
            proc = self._procs[i] = _Proc(self._ctx, self._settings)
        proc.job = job
        proc.tasks.put(job)

    def _read(self, proc: _Proc, outcomes: list[Outcome]) -> None:
        """Every message waiting in ``proc``'s pipe; marks the pipe ended at its end."""
        try:
            while proc.results.poll():
                msg = proc.results.recv()
                if msg[0] == "stage":
                    self._events.append((msg[1], msg[2]))
                    continue
                outcome: Outcome = msg[1]
                if proc.job is not None and proc.job.index == outcome.index:
                    proc.job = None
                outcomes.append(outcome)
        except (EOFError, OSError, pickle.UnpicklingError):
            proc.ended = True

    def poll(self, timeout: float) -> list[Outcome]:
        outcomes: list[Outcome] = []
        live = {p.results: p for p in self._procs if not p.ended}
        for conn in mp_connection.wait(list(live), timeout) if live else []:
            self._read(live[conn], outcomes)
        for p in self._procs:
            if p.job is None:
                continue
            if p.ended:
                p.process.join(timeout=CLOSE_TIMEOUT)
            if p.process.is_alive():
                continue
            self._read(p, outcomes)
            if p.job is not None:
                outcomes.append(died(p.job, f"process exit code {p.process.exitcode}"))
                p.job = None
        return outcomes

    def events(self) -> list[tuple[int, str]]:
        out, self._events = self._events, []
        return out

    def close(self) -> None:
        for p in self._procs:
            if p.process.is_alive() and p.job is None:
                p.tasks.put(None)
        for p in self._procs:
            p.process.join(timeout=5 if p.job is None else 0)
            if p.process.is_alive():
                p.process.terminate()
                p.process.join(timeout=5)
            p.results.close()


class RayBackend:
    """One Ray actor (:class:`VideoWorker`) per worker; see the module docstring."""

    name = "ray"

    def __init__(self, settings: BatchSettings, *, workers: int | None, jobs: int, address: str | None,
                 cpus: float, gpus: float) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray
        from ray.util.queue import Queue

        self._ray = ray
        quiet = {"include_dashboard": False, "log_to_driver": False, "logging_level": logging.ERROR,
                 "configure_logging": True}
        local = address in (None, "local")
        try:
            if local:
                wanted = workers if workers is not None else _local_workers(None, jobs, cpus)
                ray.init(address="local", num_cpus=max(os.cpu_count() or 1, math.ceil(wanted * cpus)), **quiet)
            else:
                ray.init(address=address, **quiet)
        except ConnectionError:
            raise InputError(f"no running Ray cluster found at --ray-address {address}; start one (`ray start "
                             "--head`), set RAY_ADDRESS, or leave --ray-address out for a local Ray") from None
        try:
            self.workers = self._fit(workers, jobs, cpus, gpus)
            self._queue = Queue(actor_options={"num_cpus": 0})
            self._actor_class = ray.remote(VideoWorker).options(num_cpus=cpus, num_gpus=gpus, max_restarts=0)
            self._settings = settings
            self._actors = [self._new_actor() for _ in range(self.workers)]
        except BaseException:
            ray.shutdown()
            raise
        self._busy: dict[Any, tuple[Any, Job]] = {}
        where = "a local Ray instance" if local else f"the Ray cluster at {address}"
        log.info(f"{self.workers} Ray workers on {where} ({cpus:g} CPU, {gpus:g} GPU each)")

    def _fit(self, workers: int | None, jobs: int, cpus: float, gpus: float) -> int:
        total = self._ray.cluster_resources()
        room = [total.get("CPU", 0) / cpus] if cpus > 0 else []
        if gpus > 0:
            room.append(total.get("GPU", 0) / gpus)
        fits = int(min(room)) if room else jobs
        if fits < 1:
            raise InputError(f"the Ray cluster ({total.get('CPU', 0):g} CPU, {total.get('GPU', 0):g} GPU) cannot hold "
                             f"one worker of {cpus:g} CPU and {gpus:g} GPU; lower --cpus-per-worker/--gpus-per-worker")
        return max(1, min(workers if workers is not None else fits, jobs))

    def _new_actor(self) -> Any:
        return self._actor_class.remote(self._settings, self._queue)

    def idle(self) -> int:
        return len(self._actors) - len(self._busy)

    def submit(self, job: Job) -> None:
        busy = {id(a) for a, _ in self._busy.values()}
        actor = next(a for a in self._actors if id(a) not in busy)
        self._busy[actor.run.remote(job)] = (actor, job)

    def poll(self, timeout: float) -> list[Outcome]:
        ray = self._ray
        if not self._busy:
            return []
        refs = list(self._busy)
        ready, _ = ray.wait(refs, num_returns=1, timeout=timeout)
        if ready:
            ready, _ = ray.wait(refs, num_returns=len(refs), timeout=0)
        outcomes = []
        for ref in ready:
            actor, job = self._busy.pop(ref)
            try:
                outcomes.append(ray.get(ref))
            except ray.exceptions.RayActorError as exc:
                outcomes.append(died(job, type(exc).__name__))
                self._actors = [self._new_actor() if a is actor else a for a in self._actors]
            except ray.exceptions.RayError as exc:
                outcomes.append(Outcome(job.index, "failed", error=f"{type(exc).__name__}: {str(exc).splitlines()[0]}"))
        return outcomes

    def events(self) -> list[tuple[int, str]]:
        n = self._queue.qsize()
        return list(self._queue.get_nowait_batch(n)) if n else []

    def close(self) -> None:
        busy = {id(a) for a, _ in self._busy.values()}
        idle = [a for a in self._actors if id(a) not in busy]
        try:
            self._ray.get([a.close.remote() for a in idle], timeout=CLOSE_TIMEOUT)
        except self._ray.exceptions.RayError:
            pass  # a worker that cannot close is killed below
        for actor in self._actors:
            self._ray.kill(actor)
        self._queue.shutdown()
        self._ray.shutdown()
