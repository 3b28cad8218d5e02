"""InputSpec: declarative input checks, and the one place that formats layer input errors."""


class InputSpec:
    """What a layer accepts: rank (``ndim``/``min_ndim``/``max_ndim``), sizes of given ``axes``
    (``{-1: 784}``), a full ``shape`` with None for free dimensions, and ``dtype``."""

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in vars(self).items() if v not in (None, {}, False)]
        return f"InputSpec({', '.join(parts)})"

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}


def _fmt(shape):
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (
        ",)" if len(shape) == 1 else ")")


def assert_input_compatibility(specs, inputs, layer):
    """Raise a ValueError naming the layer, the input index, what was expected and the shape
    received, when ``inputs`` do not satisfy ``specs``."""
    if not specs:
        return
    if not isinstance(specs, (list, tuple)):
        specs = [specs]
    flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
    if len(specs) != len(flat) and len(specs) > 1:
        raise ValueError(
            f"Layer {layer.__class__.__name__} '{layer.name}' expects {len(specs)} input(s), "
            f"but it received {len(flat)} input tensors."
        )
    for i, (spec, x) in enumerate(zip(specs, flat)):
        if spec is None:
            continue
        shape = tuple(x.shape)
        who = f"Input {i} of layer {layer.__class__.__name__} '{layer.name}' is incompatible " \
              "with the layer"
        if spec.ndim is not None and len(shape) != spec.ndim:
            raise ValueError(
                f"{who}: expected ndim={spec.ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        if spec.max_ndim is not None and len(shape) > spec.max_ndim:
            raise ValueError(
                f"{who}: expected max_ndim={spec.max_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        if spec.min_ndim is not None and len(shape) < spec.min_ndim:
            raise ValueError(
                f"{who}: expected min_ndim={spec.min_ndim}, found ndim={len(shape)}. "
                f"Full shape received: {_fmt(shape)}"
            )
        for axis, value in spec.axes.items():
            if value is None:
                continue
            if not -len(shape) <= axis < len(shape):
                raise ValueError(
                    f"{who}: expected an axis {axis} of size {value}, but the input has rank "
                    f"{len(shape)}. Full shape received: {_fmt(shape)}"
                )
            if shape[axis] is not None and shape[axis] != value:
                hint = ""
                if len(shape) > 2 and axis == -1:
                    hint = " Did you forget a Flatten layer before it?"
                raise ValueError(
                    f"{who}: expected axis {axis} of the input shape to have value {value}, "
                    f"but received input with shape {_fmt(shape)}.{hint}"
                )
        if spec.shape is not None:
            for want, got in zip(spec.shape, shape):
                if want is not None and got is not None and want != got:
                    raise ValueError(
                        f"{who}: expected shape={_fmt(spec.shape)}, found shape={_fmt(shape)}"
                    )
