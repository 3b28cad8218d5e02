"""The graph under construction: values with their layout, nodes, initializers, unique names.

A :class:`Value` is one Keras tensor of the model being exported. It remembers its Keras shape
(batch axis first, ``None`` for unknown sizes) and the ONNX names under which it exists, in
Keras' own axis order (``"keras"``) and/or channels-first (``"cf"``: the last axis moved to
axis 1, what ONNX ``Conv``/``MaxPool``/``BatchNormalization`` expect). Converters ask for the
layout they need and :class:`GraphBuilder` inserts (and caches) the ``Transpose`` that produces
it, so consecutive conv/pool layers stay channels-first without transposes in between.
"""

from ember.backend import np, to_numpy


def to_cf_perm(rank):
    """Keras (channels-last) axes -> channels-first: ``(0, r-1, 1, ..., r-2)``."""
    return (0, rank - 1) + tuple(range(1, rank - 1))


def to_cl_perm(rank):
    """Channels-first -> channels-last: ``(0, 2, ..., r-1, 1)``."""
    return (0,) + tuple(range(2, rank)) + (1,)


def array_of(weight):
    """A weight (Variable, Tensor or array) as a float32 host NumPy array."""
    return np.asarray(to_numpy(weight), dtype=np.float32)


def layout_perm(layout, rank):
    """The Keras axes a tensor in ``layout`` holds, in order: ``"keras"`` (as Keras), ``"cf"``
    (channels first, rank >= 3) or ``"tm"`` (time-major ``(steps, batch, features)``)."""
    if layout == "cf" and rank >= 3:
        return to_cf_perm(rank)
    if layout == "tm" and rank == 3:
        return (1, 0, 2)
    return tuple(range(rank))


_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")


class Value:
    """A model tensor in the ONNX graph.

    Attributes:
        shape: the Keras shape (batch first; ``None`` where unknown).
        dtype: ``"float32"``, or an integer dtype for token ids.
        names: layout -> ONNX name: ``"keras"`` (Keras' axis order), ``"cf"``
            (channels-first) and/or ``"tm"`` (time-major, between recurrent layers); the
            first entry is the layout the value was produced in.
        mask: the ONNX name of its Keras time-step mask (bool, ``(batch, steps)``), or None.
    """

    __slots__ = ("shape", "dtype", "names", "mask")

    def __init__(self, name, shape, layout="keras", dtype="float32", mask=None):
        self.shape = tuple(shape)
        self.dtype = str(dtype)
        self.names = {layout: name}
        self.mask = mask

    @property
    def rank(self):
        return len(self.shape)

    @property
    def layout(self):
        """The layout the value was produced in (where no transpose is needed)."""
        return next(iter(self.names))

    @property
    def is_int(self):
        return self.dtype in _INT_DTYPES

    def __repr__(self):
        return f"Value({self.names}, shape={self.shape}, dtype={self.dtype})"


class ExportError(NotImplementedError):
    """A layer (or an option of it) that the ONNX exporter cannot express."""


class GraphBuilder:
    """Collects nodes and initializers with unique, layer-derived names.

    Converters call :meth:`op`, :meth:`const`, :meth:`keras` and :meth:`channels_first`; names
    are prefixed with the layer being converted (``dense_1/MatMul``, ``dense_1/kernel``).
    """

    def __init__(self, opset):
        from onnx import TensorProto

        self.opset = int(opset)
        self.nodes = []
        self.initializers = []
        self.inputs = []
        self.outputs = []
        self._names = set()
        self.prefix = ""
        self.layer = None
        self._tp = TensorProto

    # -- names ------------------------------------------------------------------------------------
    def unique(self, hint):
        name = f"{self.prefix}/{hint}" if self.prefix else hint
        if name not in self._names:
            self._names.add(name)
            return name
        i = 1
        while f"{name}_{i}" in self._names:
            i += 1
        self._names.add(f"{name}_{i}")
        return f"{name}_{i}"

    def reserve(self, name):
        """Claim an exact name (graph inputs and outputs)."""
        if name in self._names:
            raise ValueError(f"ONNX export: the name {name!r} is used twice in the graph")
        self._names.add(name)
        return name

    def unsupported(self, why, layer=None):
        """An :class:`ExportError` naming the layer (class and name) and why."""
        layer = layer or self.layer
        return ExportError(
            f"Cannot export {type(layer).__name__} layer '{layer.name}' to ONNX: {why}")

    # -- nodes and constants ----------------------------------------------------------------------
    def const(self, hint, array, dtype=None):
        """An initializer holding ``array`` (float32 unless ``dtype``); returns its name."""
        from onnx import numpy_helper

        array = np.asarray(array, dtype=dtype or np.float32)
        name = self.unique(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def ints(self, hint, values):
        """An int64 1-D initializer (shapes, axes, repeats)."""
        return self.const(hint, np.asarray(list(values), dtype=np.int64), dtype=np.int64)

    def scalar(self, hint, value):
        return self.const(hint, np.asarray(value, dtype=np.float32))

    def op(self, op_type, inputs, outputs=1, hint=None, **attrs):
        """Append a node; returns its output name (or a list when ``outputs`` > 1). An empty
        string in ``inputs`` is an omitted optional input."""
        from onnx import helper

        node_name = self.unique(hint or op_type)
        names = [f"{node_name}:{i}" for i in range(outputs)]
        for n in names:
            self._names.add(n)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op_type, list(inputs), names, name=node_name,
                                           **attrs))
        return names[0] if outputs == 1 else names

    # -- layouts ----------------------------------------------------------------------------------
    def in_layout(self, value, layout):
        """``value``'s name in ``layout`` (``"keras"``, ``"cf"`` or ``"tm"``), inserting (once)
        the Transpose that produces it."""
        if layout in value.names:
            return value.names[layout]
        src = value.layout
        p_src, p_dst = layout_perm(src, value.rank), layout_perm(layout, value.rank)
        if p_src == p_dst:  # e.g. rank <= 2: both layouts are the same tensor
            name = value.names[src]
        else:  # tensor axis j of the result is tensor axis perm[j] of the source
            perm = [p_src.index(k) for k in p_dst]
            name = self.op("Transpose", [value.names[src]], perm=perm, hint=f"to_{layout}")
        value.names[layout] = name
        return name

    def keras(self, value):
        """``value``'s name in Keras' own axis order (as float32 unless it holds token ids that
        the caller asks for with :meth:`raw`)."""
        name = self.in_layout(value, "keras")
        if value.is_int:
            key = "keras_float"
            if key not in value.names:
                value.names[key] = self.op("Cast", [name], to=self._tp.FLOAT, hint="to_float")
            return value.names[key]
        return name

    def channels_first(self, value):
        """``value``'s name with the channels (last Keras axis) moved to axis 1."""
        if value.is_int:
            raise self.unsupported("channels-first convolution on integer input")
        return self.in_layout(value, "cf")

    def raw(self, value):
        """``value``'s name in Keras order, keeping an integer dtype (token ids)."""
        return self.in_layout(value, "keras")

    def same_layout(self, value):
        """``(name, layout)`` of ``value`` in the layout it already has (elementwise ops)."""
        if value.is_int:
            return self.keras(value), "keras"
        layout = value.layout
        return value.names[layout], layout

    # -- helpers used by several converters -------------------------------------------------------
    def reduce(self, op_type, x, axes, keepdims):
        """``Reduce*`` over ``axes``: axes as an attribute up to opset 17 and as an int64 input
        from 18 (ReduceSum takes an input since 13)."""
        axes = [int(a) for a in axes]
        if op_type == "ReduceSum" or self.opset >= 18:
            return self.op(op_type, [x, self.ints("axes", axes)], keepdims=int(keepdims))
        return self.op(op_type, [x], axes=axes, keepdims=int(keepdims))

    def squeeze(self, x, axes):
        return self.op("Squeeze", [x, self.ints("axes", axes)])

    def unsqueeze(self, x, axes):
        return self.op("Unsqueeze", [x, self.ints("axes", axes)])

    def transpose(self, x, perm):
        return self.op("Transpose", [x], perm=[int(p) for p in perm])

    def reshape(self, x, shape):
        return self.op("Reshape", [x, self.ints("shape", shape)])

    def clip(self, x, low=None, high=None):
        low = self.scalar("min", low) if low is not None else ""
        high = self.scalar("max", high) if high is not None else ""
        inputs = [x, low, high]
        while inputs[-1] == "":
            inputs.pop()
        return self.op("Clip", inputs)
