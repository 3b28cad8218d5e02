"""A vectorized error function for the exact GELU (NumPy has none; SciPy is not a dependency).

``math.erf`` applied elementwise: exact to double precision, slower than a ufunc, which is
acceptable because the exact GELU is not the default (``approximate=True`` is, as in Keras).
"""

import math

from ember.backend import xp

_verf = xp.frompyfunc(math.erf, 1, 1)


def erf(x):
    """Elementwise erf, returned in ``x``'s float dtype."""
    x = xp.asarray(x)
    return xp.asarray(_verf(x)).astype(x.dtype if x.dtype.kind == "f" else "float64")
