"""The compiled engine: the twin's event loop in numba, over numpy arrays.

It keeps the semantics of the Python engine (:mod:`taktline.sim.kernel`,
:mod:`~taktline.sim.station`, :mod:`~taktline.sim.buffer`, ...) to the bit: for the
same plant and seed both write the same records in the same order. The Python engine
stays the readable reference model; tests run both and compare every record.

How it is put together:

- :mod:`~taktline.sim.engine.lower` turns a built :class:`~taktline.sim.model.Model`
  into arrays (:mod:`~taktline.sim.engine.layout` says what each column means), so
  both engines share the model builder: indices, interned names, stream names;
- the compiled functions (``core``, ``recording``, ``buffers``, ``state``, ``sink``,
  ``stations``, ``work``, ``flows``, ``loop``) are the Python engine's methods, one for
  one, over those arrays (:mod:`~taktline.sim.engine.jit` says how they are compiled);
- :mod:`~taktline.sim.engine.driver` runs the loop and, between two events, refills
  the random samplers (from the very same numpy streams, batch by batch), grows arrays
  and moves the staged records into the :class:`~taktline.sim.records.RecordLog`
  (:mod:`~taktline.sim.engine.tables`).

Every function is compiled with ``cache=True``: the first run on a machine compiles
(tens of seconds), later processes load the machine code from numba's cache in a
fraction of a second; :mod:`~taktline.sim.engine.cache` drops that cache when any
compiled source changed (numba alone would keep stale callers of a changed function).
"""

from taktline.sim.engine.driver import Outcome, compile_engine, engine_cached, run_compiled

__all__ = ["Outcome", "compile_engine", "engine_cached", "run_compiled"]
