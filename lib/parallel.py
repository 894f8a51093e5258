"""Independent runs in parallel: worker processes on this machine (one GPU each when there are GPUs), or a
SLURM job array through submitit. Every worker trains through the run store (``runs.run``): a finished run
is written atomically, a run being trained by one worker is never trained by another, and the notebook
then renders from the store as if it had trained the runs itself.

``JOBS=N`` (env ``BOOK_JOBS``) sets the number of workers; ``EXECUTOR`` (env ``BOOK_EXECUTOR``) the engine (both
checked by ``lib.env.workers``):
``local`` (processes here, the default), ``slurm`` (submitit's SLURM executor: a job array, ``JOBS`` of its
tasks at a time; ``BOOK_SLURM_PARTITION``, ``BOOK_SLURM_TIMEOUT_MIN`` if set) or ``submitit-local``
(submitit's local executor: the same code path as ``slurm``, on this machine — what the tests use).
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Callable


def _init_worker(slots, jobs: int) -> None:
    """A worker's GPU (``CUDA_VISIBLE_DEVICES``, before torch starts) and its share of the CPU threads."""
    slot, gpus = slots.get(), os.environ.get("BOOK_GPUS", "")
    if gpus:
        ids = gpus.split(",")
        os.environ["CUDA_VISIBLE_DEVICES"] = ids[slot % len(ids)]
    import torch
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // jobs))


def execute(worker: Callable[[dict, str], str], configs: list[dict], *, jobs: int, executor: str,
            device: str) -> list[str]:
    """``worker(config, device)`` for each of ``configs`` (independent of each other) with ``jobs`` workers;
    returns what the workers return. ``worker`` is a module-level function (spawned processes import it by
    name), e.g. ``lib.experiment.train_worker``, which trains one run through the store."""
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
            return list(pool.map(worker, configs, [device] * len(configs)))
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
    submitted = ex.map_array(worker, configs, [device] * len(configs))
    return [j.result() for j in submitted]            # a failed task raises here with its traceback
