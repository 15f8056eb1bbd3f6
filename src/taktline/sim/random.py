"""Random streams: one numpy ``Generator`` per (station, purpose), from one root seed.

A stream is named (``"weld/failure:weld_gun/ttf"``); its generator is seeded from the
root seed and a stable hash of the name, so the same seed gives the same run bit for
bit, and adding or changing one station does not reshuffle the others (common random
numbers across scenarios).

A :class:`Sampler` draws from one stream in batches; numpy fills a batch with exactly
the values that one-at-a-time draws would give, so batching changes speed, not results.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from taktline.plant.dist import (
    Constant,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Geometric,
    LogNormal,
    Normal,
    Triangular,
    Uniform,
    Weibull,
)

__all__ = ["Sampler", "Streams", "make_sampler", "stream_key"]

_BATCH = 256
AnyDist = (
    Constant | Exponential | Normal | LogNormal | Uniform | Triangular | Weibull | Gamma
    | Erlang | Geometric | Empirical
)


def stream_key(name: str) -> tuple[int, ...]:
    """A stable spawn key for a stream name (independent of Python's hash seed)."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class Streams:
    """Named random streams derived from one root seed."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def generator(self, name: str) -> np.random.Generator:
        """The generator of stream ``name`` (a fresh one each call, same sequence)."""
        seq = np.random.SeedSequence(entropy=self.seed, spawn_key=stream_key(name))
        return np.random.Generator(np.random.PCG64(seq))

    def sampler(self, name: str, dist: AnyDist) -> Sampler:
        """A sampler drawing ``dist`` from stream ``name``."""
        return make_sampler(dist, self.generator(name))

    def uniform(self, name: str) -> Sampler:
        """A sampler of U(0, 1) from stream ``name``."""
        gen = self.generator(name)
        return Sampler(lambda n: gen.random(n))


class Sampler:
    """Draws values one by one from batches filled by a numpy function."""

    __slots__ = ("_buf", "_fill", "_i", "constant")

    def __init__(self, fill: Callable[[int], np.ndarray], constant: float | None = None) -> None:
        self._fill = fill
        self._buf: list[float] = []
        self._i = 0
        self.constant = constant

    def __call__(self) -> float:
        if self.constant is not None:
            return self.constant
        i = self._i
        buf = self._buf
        if i >= len(buf):
            buf = self._buf = self._fill(_BATCH).tolist()
            i = 0
        self._i = i + 1
        return buf[i]


def _truncated_normal(gen: np.random.Generator, d: Normal) -> Callable[[int], np.ndarray]:
    hi = d.max if d.max is not None else np.inf

    def fill(n: int) -> np.ndarray:
        out = gen.normal(d.mean, d.sd, n)
        bad = (out < d.min) | (out > hi)
        while bad.any():  # redraw out-of-range values, in order, from the same stream
            out[bad] = gen.normal(d.mean, d.sd, int(bad.sum()))
            bad = (out < d.min) | (out > hi)
        return out

    return fill


def make_sampler(dist: AnyDist, gen: np.random.Generator) -> Sampler:
    """A :class:`Sampler` of ``dist`` drawing from ``gen``."""
    if isinstance(dist, Constant):
        return Sampler(lambda n: np.full(n, dist.value), constant=dist.value)
    if isinstance(dist, Exponential):
        return Sampler(lambda n: gen.exponential(dist.mean, n))
    if isinstance(dist, Normal):
        if dist.sd == 0:
            return Sampler(lambda n: np.full(n, dist.mean), constant=dist.mean)
        return Sampler(_truncated_normal(gen, dist))
    if isinstance(dist, LogNormal):
        mu, sigma = dist.log_params()
        return Sampler(lambda n: gen.lognormal(mu, sigma, n))
    if isinstance(dist, Uniform):
        return Sampler(lambda n: gen.uniform(dist.low, dist.high, n))
    if isinstance(dist, Triangular):
        return Sampler(lambda n: gen.triangular(dist.low, dist.mode, dist.high, n))
    if isinstance(dist, Weibull):
        return Sampler(lambda n: dist.scale * gen.weibull(dist.shape, n))
    if isinstance(dist, Gamma):
        return Sampler(lambda n: gen.gamma(dist.shape, dist.scale, n))
    if isinstance(dist, Erlang):
        return Sampler(lambda n: gen.gamma(dist.k, dist.mean / dist.k, n))
    if isinstance(dist, Geometric):
        return Sampler(lambda n: gen.geometric(dist.p, n) * dist.step)
    values = np.asarray(dist.values, dtype=float)
    return Sampler(lambda n: values[gen.integers(0, len(values), n)])
