"""Independent runs in parallel: worker processes on this machine (one GPU each when there are GPUs), or a
SLURM job array through submitit. Every worker trains through the run store (``runs.run``): a finished run
is written atomically, a run being trained by one worker is never trained by another, and the notebook
then renders from the store as if it had trained the runs itself.

``JOBS=N`` (env ``BOOK_JOBS``) sets the number of workers; ``EXECUTOR`` (env ``BOOK_EXECUTOR``) the engine:
``local`` (processes here, the default), ``slurm`` (submitit's SLURM executor: a job array, ``JOBS`` of its
tasks at a time; ``BOOK_SLURM_PARTITION``, ``BOOK_SLURM_TIMEOUT_MIN`` if set) or ``submitit-local``
(submitit's local executor: the same code path as ``slurm``, on this machine — what the tests use).
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

EXECUTORS = ("local", "slurm", "submitit-local")


def settings(jobs: int | None = None, executor: str | None = None) -> tuple[int, str]:
    """(jobs, executor) from the arguments or the environment, checked."""
    raw = os.environ.get("BOOK_JOBS", "1") if jobs is None else jobs
    try:
        jobs = int(raw)
    except ValueError:
        jobs = 0
    executor = executor or os.environ.get("BOOK_EXECUTOR") or "local"
    if jobs < 1:
        raise ValueError(f"JOBS must be a positive integer, got {raw!r}")
    if executor not in EXECUTORS:
        raise ValueError(f"unknown EXECUTOR {executor!r}; valid: {', '.join(EXECUTORS)}")
    return jobs, executor


def train(config: dict, device: str) -> str:
    """One worker's task: the run of ``config`` through the store (a finished one is not recomputed)."""
    from lib import experiment, runs
    experiment.run_classifier(config, device=device, progress=False)
    return runs.key(config)


def _init_worker(slots, jobs: int) -> None:
    """A worker's GPU (``CUDA_VISIBLE_DEVICES``, before torch starts) and its share of the CPU threads."""
    slot, gpus = slots.get(), os.environ.get("BOOK_GPUS", "")
    if gpus:
        ids = gpus.split(",")
        os.environ["CUDA_VISIBLE_DEVICES"] = ids[slot % len(ids)]
    import torch
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs))


def execute(configs: list[dict], *, jobs: int, executor: str, device: str) -> list[str]:
    """Train ``configs`` (independent of each other) with ``jobs`` workers; returns their run keys."""
    if not configs:
        return []
    if executor == "local":
        ctx = mp.get_context("spawn")
        slots = ctx.Manager().Queue()
        for i in range(jobs):
            slots.put(i)
        if device == "cuda" and not os.environ.get("BOOK_GPUS"):
            import torch
            os.environ["BOOK_GPUS"] = ",".join(str(i) for i in range(torch.cuda.device_count()))
        with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_init_worker,
                                 initargs=(slots, jobs)) as pool:
            return list(pool.map(train, configs, [device] * len(configs)))
    import submitit
    from lib import runs
    folder = runs.RESULTS / "_submitit"
    ex = submitit.AutoExecutor(folder=folder, cluster="local" if executor == "submitit-local" else "slurm")
    params = dict(timeout_min=int(os.environ.get("BOOK_SLURM_TIMEOUT_MIN", 24 * 60)), tasks_per_node=1,
                  gpus_per_node=1 if device == "cuda" else 0)
    if executor == "slurm":
        params.update(slurm_array_parallelism=jobs)
        if os.environ.get("BOOK_SLURM_PARTITION"):
            params.update(slurm_partition=os.environ["BOOK_SLURM_PARTITION"])
    ex.update_parameters(**params)
    submitted = ex.map_array(train, configs, [device] * len(configs))
    return [j.result() for j in submitted]            # a failed task raises here with its traceback
