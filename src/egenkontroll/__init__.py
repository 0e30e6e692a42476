"""Egenkontroll: systematic follow-up for Swedish municipal social services (IFO, barn och unga)."""

import os

__version__ = "0.1.0"

# polars' allocator (jemalloc, configured by this variable when polars is first imported) gives
# freed memory back lazily: after 0.5 s as MADV_FREE pages, which still count in the process's
# RSS, and only a second later for good. Reading a national events.csv in parts frees as much as
# it keeps, so its peak RSS was 3.9–4.2 GB with 2.9 GB in use; giving the pages back at once
# after the 0.5 s makes it 3.2–3.3 GB, at no measured cost in time (bench/RESULTS.md, issue 19).
# A value set in the environment is left as it is.
os.environ.setdefault("_RJEM_MALLOC_CONF", "muzzy_decay_ms:0")
