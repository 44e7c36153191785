"""Measuring on a noisy machine: interleaved timings, medians, and the machine's own limits.

Timings here vary ±25% between runs, so a benchmark never reports an absolute time as its
result: it times two things in alternation (A B A B …) in one process and reports the ratio
of medians, or the fraction of a limit (fp32 matmul rate, memory bandwidth) measured in the
same run the same way.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable

import torch


def interleave(
    fns: dict[str, Callable[[], object]],
    rounds: int,
    warmup: int = 1,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, list[float]]:
    """Run each function once per round, in turn, and return every timing (seconds).

    `clock=time.thread_time` counts only the CPU time of this thread: with one torch thread
    (which runs every operator on the calling thread) the time other jobs hold the core is
    left out, which is what makes a comparison possible on a busy machine.
    """
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = clock()
            fn()
            times[name].append(clock() - t0)
    return times


def median(xs: list[float]) -> float:
    return statistics.median(xs)


def matmul_fn(n: int = 2048) -> tuple[Callable[[], object], float]:
    """A square fp32 matmul and its FLOP count: the machine's practical matmul peak."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    return (lambda: a @ b), 2.0 * n**3


def read_bandwidth_fn(n_bytes: int = 1 << 30) -> tuple[Callable[[], object], float]:
    """Sum over an fp32 array larger than any CPU cache: bytes read per call."""
    x = torch.ones(n_bytes // 4)
    return (lambda: x.sum()), float(n_bytes)


def copy_bandwidth_fn(n_bytes: int = 1 << 30) -> tuple[Callable[[], object], float]:
    """Copy between two large arrays: bytes read + written per call."""
    src, dst = torch.ones(n_bytes // 4), torch.empty(n_bytes // 4)
    return (lambda: dst.copy_(src)), 2.0 * n_bytes


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, torch {torch.__version__}, {torch.get_num_threads()} threads"


def load() -> str:
    """The host's load averages (1, 5, 15 min), as `uptime` prints them: other jobs' share."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f} on {os.cpu_count()} CPUs"


def clock_for(threads: int | None) -> tuple[Callable[[], float], str]:
    """Thread CPU time when torch runs on one thread (robust to other jobs), else wall time."""
    if threads == 1:
        torch.set_num_threads(1)
        return time.thread_time, "CPU time of the one torch thread"
    if threads is not None:
        torch.set_num_threads(threads)
    return time.perf_counter, "wall time"


def header(title: str) -> None:
    print(f"== {title}\n   {time.strftime('%Y-%m-%d')} · {machine()}")
