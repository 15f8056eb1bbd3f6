"""The memory of the compiled engine: a handful of numpy arrays and the meaning of
their columns.

Every runtime object of a model (station, server, buffer, failure mode, sampler,
release, feed, sink, fleet, AGV, move, maintenance window) is one *row* of the entity
tables ``ei`` (integers) and ``ef`` (floats). Column 0 says what kind of object a row
is and column 1 its index among the objects of its kind (the number the records use);
the other columns depend on the kind and are named by the constants below (``S_`` for
stations, ``B_`` for buffers, ...). Objects refer to each other by row.

Row 0 is the kernel: the clock, counters, and where the kernel's own queues start.
Variable-length data lives in regions of two flat arrays, ``pool`` (integers) and
``poolf`` (floats), addressed by offsets held in the rows: what the model builder lays
out (inputs, outputs, shares, distances ...) and what changes while the twin runs
(buffer contents and conveyor times, waiting lists, docks, AGV task queues, the
same-instant queue, the wake stack, the free item rows, sampler values, staged
records). Items (vehicles and parts) are rows of ``items``. Records are staged per
table (a row of kind ``EK_TABLE`` says where) and moved to the
:class:`~taktline.sim.records.RecordLog` by the driver.

Numba reads the module-level constants as compile-time constants.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["CapacityExceeded", "Sim"]

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]


class CapacityExceeded(Exception):
    """A fixed-size array filled up within one event (the driver reruns with more room)."""


class Sim(NamedTuple):
    """The whole state of one compiled run (few arrays: a call passes each array as
    several machine words, so fewer arrays make every call cheaper)."""

    ei: I64  # entity rows, integer columns; row 0 is the kernel (K_*)
    ef: F64  # entity rows, float columns; row 0 is the kernel (F_*)
    pool: I64  # integer lists and queues, each a region (offsets held in rows)
    poolf: F64  # float lists and queues (a queue with both uses the same offsets)
    items: I64  # one row per item (IT_*)
    ht: F64  # event heap: times
    hq: I64  # event heap: (key, kind, target, token) per entry


# -- the kernel: row 0 of ``ei`` and ``ef`` --------------------------------------------
KERNEL = 0
F_NOW = 0

(K_SEQ, K_EVENTS, K_HEAP_N, K_HEAP_SOFT, K_SOON0, K_SOON_SIZE, K_SOON_HEAD, K_SOON_N,
 K_SOON_SOFT, K_SOON_GROW, K_WST0, K_WST_SIZE, K_SERVICE, K_SERIAL, K_VEHICLE, K_FREE0,
 K_FREE_N, K_FREE_SOFT, K_SCRATCH0, K_RING_MARGIN, K_BODY, K_VMODEL0, K_NVAR,
 K_REC_SOFT, K_TABLE0, K_BEGIN_ONLY, K_PLANS) = range(2, 29)
# K_SERVICE: the driver must refill, grow or move records; K_PLANS: it must plan the
# reserved AGV chains asked for (a lighter stop, see chains.py)

# -- event kinds (hq columns: key, kind, target row, token) --------------------------
HQ_KEY, HQ_KIND, HQ_TARGET, HQ_TOKEN = range(4)
(EV_SETUP_DONE, EV_DONE, EV_FAIL_OP, EV_FAIL_CAL, EV_REPAIRED, EV_ARRIVED,
 EV_RELEASE, EV_DELIVER, EV_AT_PICKUP, EV_LOADED, EV_AT_DROP, EV_UNLOADED,
 EV_WIN_OPEN, EV_WIN_CLOSE, EV_R_START, EV_R_STATE, EV_R_LOADED, EV_R_UNLOADED) = range(18)
# EV_R_*: the steps of a reserved chain (tokens: the move row; EV_R_STATE: the state)
NORMAL = 1
LATE = 2
PRIO_SHIFT = 52

# -- same-instant queue ops ----------------------------------------------------------
OP_WAKE_IN = 0
OP_WAKE_OUT = 1
OP_BEGIN = 2  # arm a component at time 0 (queued for every component before the run)

# -- entity kinds --------------------------------------------------------------------
KIND = 0
IDX = 1
(EK_STATION, EK_BUFFER, EK_SERVER, EK_MODE, EK_SAMPLER, EK_RELEASE, EK_FEED, EK_SINK,
 EK_FLEET, EK_AGV, EK_MOVE, EK_WINDOW, EK_TABLE) = range(1, 14)

# station
(S_V0, S_NV, S_IDLE, S_BUSY, S_SETUP, S_BLOCKED, S_FAILED, S_PLANNED, S_PCAUSE,
 S_FTOKEN, S_STATE, S_IN0, S_NIN, S_OUT0, S_NOUT, S_ROUTE, S_RR, S_PRODUCES,
 S_LOTSIZE, S_LOTLEFT, S_LOTPART, S_PART0, S_NPART, S_SETON, S_SETSAMP, S_FAMILY,
 S_BATCH, S_MAXBATCH, S_OPT, S_OPTBIT, S_OPTMAX, S_H0, S_HCAP, S_HN, S_HHEAD, S_HSUM,
 S_QSAMP, S_REJECT, S_M0, S_NOPM, S_NCALM, S_CYC0, S_FIN0, S_NFIN, S_WF0,
 S_BF0, S_LWORK, S_LSETUP, S_LBLOCK) = range(2, 51)  # S_L*: server counts last recorded
SF_PSINCE, SF_OPSINCE, SF_FPY, SF_SLOW = range(4)
ROUTE_FIRST_FREE, ROUTE_ROUND_ROBIN, ROUTE_SHORTEST, ROUTE_BY_PART = range(4)
SETUP_NONE, SETUP_COLOUR, SETUP_VARIANT, SETUP_MODEL, SETUP_PART = range(-1, 4)

# server
V_STATION, V_STATE, V_ITEM, V_TOKEN = range(2, 6)
VF_END, VF_LEFT, VF_WORK, VF_START = range(4)
IDLE, SETUP, WORK, BLOCKED = range(4)

# buffer
(B_CAP, B_COUNT, B_OUT, B_CONV, B_REC, B_R0, B_RSIZE, B_RHEAD, B_RLEN, B_W0, B_WCAP,
 B_WN, B_K0, B_KCAP, B_KN, B_C0, B_NC) = range(2, 19)
BF_TRANSIT = 0
UNBOUNDED = -1

# failure mode
M_STATION, M_CAUSE, M_OPER, M_TTF, M_TTR, M_DOWN = range(2, 8)
MF_LEFT, MF_SINCE = range(2)

# sampler
P_OFF, P_SIZE, P_HEAD, P_FILL, P_LOW, P_CONST = range(2, 8)
PF_VALUE = 0

# release (a source that puts items into a buffer)
(R_BUF, R_MAKE, R_INTERVAL, R_PENDING, R_EXHAUSTED, R_RECORD, R_OPOS, R_NORD, R_ORD0,
 R_UVAR, R_UCOL, R_UOPT0, R_NOPT, R_VCUM0, R_NVAR, R_CCUM0, R_NCOL, R_RATE0,
 R_PART) = range(2, 21)
MAKE_ORDERS, MAKE_MIX, MAKE_PART = range(3)

# part feed with call-off
FD_BUF, FD_PART, FD_LEAD, FD_D0, FD_DSIZE, FD_DHEAD, FD_DLEN, FD_WAITING = range(2, 10)

# sink
K_NAME, K_BUF, K_COUNT, K_REG = range(2, 6)

# AGV fleet, AGV, move
(FL_A0, FL_NA, FL_LOAD, FL_UNLOAD, FL_D0, FL_NN, FL_Q0, FL_QSIZE, FL_QHEAD, FL_QLEN,
 FL_M0, FL_NM, FL_RESERVED) = range(2, 15)
# FL_Q0..: waiting tasks (free routing), or plan requests for the driver (reserved
# routing: two entries per task, the move row and its first event sequence number, with
# the sampled load and unload seconds in poolf at the same positions)
FLF_SPEED = 0
A_FLEET, A_NODE, A_STATE, A_ITEM, A_MOVE = range(2, 7)
AF_TASKT, AF_PICKED = range(2)
AGV_IDLE, AGV_TO_PICKUP, AGV_LOADING, AGV_CARRYING, AGV_UNLOADING = range(5)
MV_FLEET, MV_SRC, MV_DST, MV_PICK, MV_DROP, MV_WITEM, MV_WSPACE = range(2, 9)

# maintenance window
W_CAUSE, W_ST0, W_NS, W_HASEVERY = range(2, 6)
WF_START, WF_DUR, WF_EVERY = range(3)

EI_WIDTH = 51
EF_WIDTH = 4

# -- items ---------------------------------------------------------------------------
(IT_SERIAL, IT_PART, IT_VEHICLE, IT_VARIANT, IT_MODEL, IT_COLOUR, IT_OPTIONS,
 IT_GOOD, IT_REJECT) = range(9)
IT_WIDTH = 9  # IT_REJECT: failed the check of the station holding it (goes to rework)

# -- record tables (staged rows: float columns, then integer columns) ----------------
(T_STATE, T_OP, T_RELEASE, T_DISPATCH, T_DOWNTIME, T_SETUP, T_OVERLOAD, T_AGV,
 T_TRANSPORT, T_JOIN, T_BUFFER, T_VEHICLE) = range(12)
N_TABLES = 12
TABLE_WIDTHS = (  # (float columns, integer columns) of each staged table
    (1, 5), (2, 4), (1, 4), (1, 3), (2, 3), (2, 3), (1, 3), (1, 3), (3, 4), (1, 4), (1, 2),
    (0, 1),
)
RS_FOFF, RS_IOFF, RS_NF, RS_NI, RS_CAP, RS_N = range(2, 8)  # columns of a table's row

# -- actors (who waits in a buffer's lists): row << 16 | slot ------------------------
SLOT_BITS = 16
SLOT_MASK = (1 << SLOT_BITS) - 1
