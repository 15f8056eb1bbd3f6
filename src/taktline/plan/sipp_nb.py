"""The compiled core of :class:`~taktline.plan.planner.Planner`: hold tables as arrays
and safe-interval path planning (SIPP) over them, in numba.

Each function is the pure-Python reference (:mod:`taktline.plan.sipp_ref`) over arrays,
with the same float operations in the same order, so both give the same routes to the
last bit. A hold table (nodes or edges) is five arrays: ``hs``, ``he`` (start, end),
``ha`` (AGV), ``hd`` (direction: 0 node, +-1 edge), all ``(rows, capacity)``, and
``hn`` (holds per row); a row is kept in the order the reference keeps its list of
``(start, end, agv, direction)`` tuples (sorted on every insert).

The search is over states ``stage * S + slot``, where a slot is one free interval of one
node (filled lazily per search, like the reference's dict). Python's ``heapq`` pops the
least ``(f, t, (stage, node, interval))``; all keys differ, so an indexed heap that
pops the least key (and lowers a key in place instead of pushing a duplicate) pops the
states in the same order. Nothing here allocates: every array belongs to the planner,
which sizes them before each call (compiled as the engine's functions are, see
:mod:`taktline.sim.engine.jit`: nopython, cached on disk, no reference counting).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np
from numba import njit

F = TypeVar("F", bound=Callable[..., Any])
INF = np.inf


def compiled(fn: F) -> F:
    """Compile ``fn`` with numba (nopython, cached, no reference counting)."""
    return cast(F, cast(Any, njit)(cache=True, _nrt=False)(fn))


# -- hold tables ----------------------------------------------------------------------
@compiled
def forget(hs: Any, he: Any, ha: Any, hd: Any, hn: Any, limit: float) -> None:
    """Drop the holds that ended before ``limit`` (rows whose first hold did)."""
    for r in range(hn.shape[0]):
        n = hn[r]
        if n > 0 and he[r, 0] < limit:
            k = 0
            for i in range(n):
                if he[r, i] >= limit:
                    hs[r, k], he[r, k], ha[r, k], hd[r, k] = hs[r, i], he[r, i], ha[r, i], hd[r, i]
                    k += 1
            hn[r] = k


@compiled
def drop(
    hs: Any, he: Any, ha: Any, hd: Any, hn: Any, agv: int, t: float,
    rm_row: Any, rm_s: Any, rm_e: Any, rm_d: Any, m: int,
) -> int:
    """Remove ``agv``'s holds from ``t`` on (truncating one that spans ``t``); the
    removed ones go to ``rm_*`` from index ``m``; returns the new end index."""
    for r in range(hn.shape[0]):
        k = 0
        for i in range(hn[r]):
            s, e, a, d = hs[r, i], he[r, i], ha[r, i], hd[r, i]
            if a != agv or e < t:
                hs[r, k], he[r, k], ha[r, k], hd[r, k] = s, e, a, d
                k += 1
                continue
            rm_row[m], rm_s[m], rm_e[m], rm_d[m] = r, s, e, d
            m += 1
            if s < t:
                hs[r, k], he[r, k], ha[r, k], hd[r, k] = s, t, a, d
                k += 1
        hn[r] = k
    return m


@compiled
def insert(
    hs: Any, he: Any, ha: Any, hd: Any, hn: Any, r: int, s: float, e: float, a: int, d: int
) -> None:
    """Append a hold to row ``r`` and sort the row (stable, like ``list.sort``)."""
    n = hn[r]
    hs[r, n], he[r, n], ha[r, n], hd[r, n] = s, e, a, d
    n += 1
    hn[r] = n
    for i in range(1, n):
        k = i
        while k > 0:
            j = k - 1
            x0, y0 = hs[r, k], hs[r, j]
            if x0 < y0:
                less = True
            elif x0 > y0:
                less = False
            elif he[r, k] != he[r, j]:
                less = he[r, k] < he[r, j]
            elif ha[r, k] != ha[r, j]:
                less = ha[r, k] < ha[r, j]
            else:
                less = hd[r, k] < hd[r, j]
            if not less:
                break
            hs[r, k], hs[r, j] = hs[r, j], hs[r, k]
            he[r, k], he[r, j] = he[r, j], he[r, k]
            ha[r, k], ha[r, j] = ha[r, j], ha[r, k]
            hd[r, k], hd[r, j] = hd[r, j], hd[r, k]
            k = j


@compiled
def restore(
    hs: Any, he: Any, ha: Any, hd: Any, hn: Any, agv: int,
    rm_row: Any, rm_s: Any, rm_e: Any, rm_d: Any, lo: int, hi: int,
) -> None:
    """Put removed holds ``lo:hi`` back: each replaces ``agv``'s holds with its start."""
    for m in range(lo, hi):
        r, s = rm_row[m], rm_s[m]
        k = 0
        for i in range(hn[r]):
            if not (ha[r, i] == agv and hs[r, i] == s):
                hs[r, k], he[r, k], ha[r, k], hd[r, k] = hs[r, i], he[r, i], ha[r, i], hd[r, i]
                k += 1
        hn[r] = k
        insert(hs, he, ha, hd, hn, r, s, rm_e[m], agv, rm_d[m])


@compiled
def reserve(
    ns: Any, ne: Any, na: Any, nd: Any, nn: Any,
    es: Any, ee: Any, ea: Any, ed: Any, en: Any,
    home: int, agv: int, vnode: Any, varr: Any, vdep: Any, edges: Any, ways: Any,
) -> None:
    """Hold a route's nodes (the last one with no end; home never) and edges."""
    nv = vnode.shape[0]
    for k in range(nv):
        last = k == nv - 1
        if vnode[k] != home:
            until = INF if last else vdep[k]
            insert(ns, ne, na, nd, nn, vnode[k], varr[k], until, agv, 0)
        if not last:
            insert(es, ee, ea, ed, en, edges[k], vdep[k], varr[k + 1], agv, ways[k])


@compiled
def free_into(
    hs: Any, he: Any, ha: Any, hn: Any, r: int, agv: int, gap: float,
    out_a: Any, out_b: Any, o: int,
) -> int:
    """Write the free intervals of row ``r`` (others' holds, gap applied) from ``o``;
    returns how many."""
    lo = -INF
    c = o
    for i in range(hn[r]):
        if ha[r, i] == agv:
            continue
        s = hs[r, i]
        if s - gap > lo:
            out_a[c], out_b[c] = lo, s - gap
            c += 1
        x = he[r, i] + gap
        if x > lo:
            lo = x
    if lo < INF:
        out_a[c], out_b[c] = lo, INF
        c += 1
    return c - o


@compiled
def edge_free_from(
    es: Any, ee: Any, ea: Any, ed: Any, en: Any,
    edge: int, agv: int, t: float, d: float, way: int, g: float,
) -> float:
    """The earliest entry >= ``t`` into ``edge`` (see ``Planner.edge_free_from``)."""
    for i in range(en[edge]):
        if ea[edge, i] == agv:
            continue
        s, e = es[edge, i], ee[edge, i]
        if ed[edge, i] == way:
            if s - g < t < s + g:
                t = s + g
        elif t < e + g and t + d + g > s:
            t = e + g
    return t


# -- search -------------------------------------------------------------------------
@compiled
def _less(a: int, b: int, kf: Any, kt: Any, s_cap: int, slot_node: Any, slot_j: Any) -> bool:
    """Heap order of states ``a`` and ``b``: ``(f, t, stage, node, interval)``."""
    if kf[a] != kf[b]:
        return bool(kf[a] < kf[b])
    if kt[a] != kt[b]:
        return bool(kt[a] < kt[b])
    sa, sb = a // s_cap, b // s_cap
    if sa != sb:
        return bool(sa < sb)
    na, nb = slot_node[a % s_cap], slot_node[b % s_cap]
    if na != nb:
        return bool(na < nb)
    return bool(slot_j[a % s_cap] < slot_j[b % s_cap])


@compiled
def _push(
    x: int, heap: Any, pos: Any, meta: Any,
    kf: Any, kt: Any, s_cap: int, slot_node: Any, slot_j: Any,
) -> None:
    """Insert state ``x`` (or move it up after its key fell)."""
    k = pos[x]
    if k < 0:
        k = meta[1]
        meta[1] = k + 1
        heap[k] = x
    while k > 0:
        up = (k - 1) // 2
        y = heap[up]
        if not _less(x, y, kf, kt, s_cap, slot_node, slot_j):
            break
        heap[k] = y
        pos[y] = k
        k = up
    heap[k] = x
    pos[x] = k


@compiled
def _pop(
    heap: Any, pos: Any, meta: Any, kf: Any, kt: Any, s_cap: int, slot_node: Any, slot_j: Any
) -> int:
    """Remove and return the least state."""
    top: int = heap[0]
    pos[top] = -1
    n = meta[1] - 1
    meta[1] = n
    if n == 0:
        return top
    x = heap[n]
    k = 0
    while True:
        c = 2 * k + 1
        if c >= n:
            break
        if c + 1 < n and _less(heap[c + 1], heap[c], kf, kt, s_cap, slot_node, slot_j):
            c += 1
        if not _less(heap[c], x, kf, kt, s_cap, slot_node, slot_j):
            break
        heap[k] = heap[c]
        pos[heap[k]] = k
        k = c
    heap[k] = x
    pos[x] = k
    return top


@compiled
def _intervals(
    v: int, agv: int, gap: float, home: int, gen: int,
    ns: Any, ne: Any, na: Any, nn: Any,
    node_off: Any, node_cnt: Any, node_gen: Any,
    slot_a: Any, slot_b: Any, slot_node: Any, slot_j: Any, meta: Any,
) -> int:
    """The slot of ``v``'s first free interval (computed once per search)."""
    if node_gen[v] != gen:
        o = meta[0]
        if v == home:
            slot_a[o], slot_b[o] = -INF, INF
            c = 1
        else:
            c = free_into(ns, ne, na, nn, v, agv, gap, slot_a, slot_b, o)
        for j in range(c):
            slot_node[o + j] = v
            slot_j[o + j] = j
        node_off[v], node_cnt[v], node_gen[v] = o, c, gen
        meta[0] = o + c
    return int(node_off[v])


@compiled
def _depart(
    es: Any, ee: Any, ea: Any, ed: Any, en: Any, agv: int, g: float,
    e: int, way: int, t: float, d: float, a: float, b: float, end: float,
) -> tuple[bool, float]:
    """Earliest departure >= t over edge ``e`` arriving within [a, b], leaving by ``end``."""
    while True:
        t2 = edge_free_from(es, ee, ea, ed, en, e, agv, t, d, way, g)
        if a - d > t2:
            t2 = a - d
        if t2 > end or t2 + d > b:
            return False, t
        if t2 == t:
            return True, t
        t = t2


@compiled
def _improve(
    x: int, parent: int, dep: float, via: int, t: float, f: float, gen: int,
    best: Any, bgen: Any, par: Any, pdep: Any, pe: Any, pos: Any, kf: Any,
    heap: Any, meta: Any, s_cap: int, slot_node: Any, slot_j: Any,
) -> None:
    """Reach state ``x`` at ``t`` (if earlier than before) and queue it with key ``f``."""
    if bgen[x] == gen:
        if not t < best[x]:
            return
    else:
        if not t < INF:
            return
        bgen[x] = gen
        pos[x] = -1
    best[x], par[x], pdep[x], pe[x], kf[x] = t, parent, dep, via, f
    _push(x, heap, pos, meta, kf, best, s_cap, slot_node, slot_j)


@compiled
def search(
    ns: Any, ne: Any, na: Any, nn: Any,
    es: Any, ee: Any, ea: Any, ed: Any, en: Any,
    adj_ptr: Any, adj_v: Any, adj_e: Any, adj_len: Any, edge_from: Any, dist: Any,
    home: int, goal_node: Any, goal_dwell: Any, rest: Any,
    speed: float, gap: float, agv: int, start: int, t0: float, gen: int, s_cap: int,
    node_off: Any, node_cnt: Any, node_gen: Any,
    slot_a: Any, slot_b: Any, slot_node: Any, slot_j: Any,
    best: Any, bgen: Any, par: Any, pdep: Any, pe: Any, pos: Any, kf: Any,
    heap: Any, meta: Any, c_id: Any, c_dep: Any, c_e: Any,
) -> int:
    """SIPP for one chain from ``start`` at ``t0`` through the goals; the chain of states
    (state, departure from its parent, edge or -1/-2) goes to ``c_*``; returns its
    length, 0 if there is no route."""
    meta[0], meta[1] = 0, 0
    o = _intervals(start, agv, gap, home, gen, ns, ne, na, nn, node_off, node_cnt,
                   node_gen, slot_a, slot_b, slot_node, slot_j, meta)
    iv = -1
    for i in range(node_cnt[start]):
        if slot_a[o + i] <= t0 <= slot_b[o + i]:
            iv = i
            break
    if iv < 0:
        return 0
    last = goal_node.shape[0] - 1
    first = o + iv
    f0 = t0 + (dist[start, goal_node[0]] + rest[0]) / speed
    _improve(first, -1, t0, -1, t0, f0, gen, best, bgen, par, pdep, pe, pos, kf,
             heap, meta, s_cap, slot_node, slot_j)
    while meta[1] > 0:
        x = _pop(heap, pos, meta, kf, best, s_cap, slot_node, slot_j)
        t = best[x]
        stage, slot = x // s_cap, x % s_cap
        node, end = slot_node[slot], slot_b[slot]
        if node == goal_node[stage]:
            dwell = goal_dwell[stage]
            if stage == last and end == INF:
                return _chain(x, s_cap, slot_node, par, pdep, pe, c_id, c_dep, c_e)
            if stage < last and t + dwell <= end:
                h = (dist[node, goal_node[stage + 1]] + rest[stage + 1]) / speed
                _improve(x + s_cap, x, t + dwell, -2, t + dwell, t + dwell + h, gen, best,
                         bgen, par, pdep, pe, pos, kf, heap, meta, s_cap, slot_node, slot_j)
        for k in range(adj_ptr[node], adj_ptr[node + 1]):
            v, e, d = adj_v[k], adj_e[k], adj_len[k] / speed
            vo = _intervals(v, agv, gap, home, gen, ns, ne, na, nn, node_off, node_cnt,
                            node_gen, slot_a, slot_b, slot_node, slot_j, meta)
            for j in range(node_cnt[v]):
                a, b = slot_a[vo + j], slot_b[vo + j]
                if b < t + d:
                    continue
                way = 1 if edge_from[e] == node else -1
                t1 = a - d if a - d > t else t
                ok, dep = _depart(es, ee, ea, ed, en, agv, gap, e, way, t1, d, a, b, end)
                if not ok:
                    if a - d > end:
                        break
                    continue
                arr, h = dep + d, (dist[v, goal_node[stage]] + rest[stage]) / speed
                _improve(stage * s_cap + vo + j, x, dep, e, arr, arr + h, gen, best, bgen,
                         par, pdep, pe, pos, kf, heap, meta, s_cap, slot_node, slot_j)
    return 0


@compiled
def _chain(
    x: int, s_cap: int, slot_node: Any, par: Any, pdep: Any, pe: Any,
    c_id: Any, c_dep: Any, c_e: Any,
) -> int:
    """Walk back from state ``x`` and write the chain first to last: the stage (in
    ``c_id``), departure from the previous state and edge (or -1/-2) of each state;
    the nodes go to ``c_id[n:2n]``."""
    n = 0
    cur = x
    while cur >= 0:
        n += 1
        cur = par[cur]
    cur = x
    for k in range(n - 1, -1, -1):
        c_id[k], c_dep[k], c_e[k] = cur // s_cap, pdep[cur], pe[cur]
        c_id[n + k] = slot_node[cur % s_cap]
        cur = par[cur]
    return n
