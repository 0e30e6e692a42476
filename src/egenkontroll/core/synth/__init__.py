"""The synthetic municipality: realistic case data at three scales, with an optional 2015-like surge.

No real case data may ever be used to develop or demonstrate Egenkontroll, so the demo, the tests
at scale and the benchmarks stand on this generator. Public API:

- `generate(scale, seed, out, fmt="csv", start=None, years=3, surge=False, size_factor=1.0)`
  writes an interchange-v1 data set and returns a `Summary`;
- `describe.read_tables(path)`, `describe.marginals(tables)`, `describe.quarterly(tables)`
  compare a data set with the public figures it is calibrated to.

How it works and where each number comes from: docs/synthetic-data.md.
"""

from egenkontroll.core.synth import describe
from egenkontroll.core.synth.generate import Summary, generate
from egenkontroll.core.synth.params import SCALES

__all__ = ["SCALES", "Summary", "describe", "generate"]
