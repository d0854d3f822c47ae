"""Percentile bootstrap of group statistics, drawn fast and exactly as plainly (private).

:func:`bootstrap` gives the statistic of ``n_boot`` resamples of customers drawn
with replacement (Efron & Tibshirani 1993, ch. 13): the same index draws as
``rng.integers(0, n, size=(rows, n))`` per chunk, summed in blocks that stay in
the CPU cache; the churn pieces are resampled as one packed whole-number array.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["bootstrap", "churn", "mean", "pack_churn"]

_MAX_CELLS = 4_000_000  # bootstrap draws x customers held in memory at once
_CACHE_CELLS = 400_000  # resampled values summed at a time (a few MB: the CPU cache)


def bootstrap(arrays: list[np.ndarray], stat: Callable[..., np.ndarray], n_boot: int,
              rng: np.random.Generator) -> np.ndarray:
    """Statistic of ``n_boot`` resamples (rows drawn with replacement), in chunks.

    Each chunk's indices come from one ``rng.integers(0, n, size=(rows, n))`` call (the
    draws, and so the intervals, depend on these call sizes); they are drawn as
    unsigned 32-bit integers, which numpy draws the same way as its default int64 below
    2**32 (:func:`_index_dtype`), and the statistic is taken over blocks of rows that
    stay in the CPU cache, row by row the same sums.
    """
    n = arrays[0].size
    chunk = max(1, _MAX_CELLS // max(n, 1))
    block = max(1, _CACHE_CELLS // max(n, 1))
    dtype = _index_dtype(n)
    out = []
    for start in range(0, n_boot, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_boot - start), n), dtype=dtype)
        out += [stat(*(np.take(a, idx[row:row + block]) for a in arrays))
                for row in range(0, idx.shape[0], block)]
    return np.concatenate(out)


def _index_dtype(n: int) -> type:
    """uint32 when ``rng.integers(0, n)`` draws bounded 32-bit integers for int64 too."""
    return np.uint32 if n <= 2**31 else np.int64


def mean(x: np.ndarray) -> np.ndarray:
    return x.mean(axis=-1)


def churn(lost: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    avg = (a.sum(axis=-1) + b.sum(axis=-1)) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(avg > 0, lost.sum(axis=-1) / np.where(avg > 0, avg, 1), np.nan)


_SHIFT = 32  # packed churn pieces: lost in the high bits, active_start + active_end below


def _churn_packed(packed: np.ndarray) -> np.ndarray:
    """:func:`churn` of whole-number pieces packed by :func:`pack_churn` (one array to
    resample instead of three; sums of whole numbers are exact, so the same values)."""
    total = packed.sum(axis=-1)
    lost = (total >> _SHIFT).astype(float)
    avg = (total & ((1 << _SHIFT) - 1)).astype(float) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(avg > 0, lost / np.where(avg > 0, avg, 1), np.nan)


def pack_churn(arrays: list[np.ndarray]) -> tuple[list[np.ndarray], Callable[..., np.ndarray]]:
    """Pack (lost, active_start, active_end) into one int64 per customer when every sum
    of ``n`` of them fits its bits; else leave them as they are."""
    lost, a, b = arrays
    active = a + b
    whole = all(np.array_equal(x, np.floor(x)) and (x.size == 0 or x.min() >= 0)
                for x in (lost, active))
    n = lost.size
    if not whole or n == 0 or active.max() * n >= 2**_SHIFT or lost.max() * n >= 2**30:
        return arrays, churn
    packed = (lost.astype(np.int64) << _SHIFT) | active.astype(np.int64)
    return [packed], _churn_packed
