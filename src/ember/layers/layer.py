"""Layer: the base class of every layer and model.

The contract, as Keras 3: ``__init__`` stores and validates the configuration;
``build(input_shape)`` creates the weights with ``add_weight``; ``call(inputs, training=None)``
only computes; ``get_config`` returns the constructor arguments. ``__call__`` is the one
template that converts inputs, builds lazily, checks the ``input_spec``, passes ``training`` and
masks, and records Functional graph nodes when called on symbolic inputs. Subclasses never
override ``__call__``.
"""

import inspect
import operator
import threading

from ember import config, dtype_policies, registry
from ember.autodiff import function, gradcheck
from ember.autodiff.tape import active_tapes
from ember.autodiff.tensor import Tensor, Variable, bump_structure, structure_version
from ember.backend import xp
from ember.layers.input_spec import assert_input_compatibility
from ember.layers.node import KerasTensor, Node, flatten, is_symbolic, map_structure
from ember.utils.naming import auto_name

_ctx = threading.local()  # the `training` value set by the outermost call


_ALLOWED_KWARGS = {"input_dim", "input_shape", "batch_input_shape", "batch_size", "weights",
                   "input_length"}


def array_dtype(name):
    """The NumPy dtype of a dtype name; ``"bfloat16"`` needs the optional ``ml_dtypes``."""
    if name == "bfloat16":
        try:
            import ml_dtypes
        except ImportError:
            raise ImportError(
                "bfloat16 (the 'mixed_bfloat16' policy) needs the ml_dtypes package: "
                "pip install 'ember[mixed]'") from None
        return xp.dtype(ml_dtypes.bfloat16)
    return xp.dtype(name)


def standardize_dtype(dtype):
    if dtype is None:
        return config.floatx()
    if isinstance(dtype, dict):  # a DTypePolicy envelope from a file
        return standardize_dtype(dtype.get("config", {}).get("name"))
    if hasattr(dtype, "name") and not isinstance(dtype, str):
        return str(dtype.name)
    name = str(dtype)
    if name.startswith("mixed_"):
        return name.split("_", 1)[1]
    return xp.dtype(name).name


_SIGNATURES = {}  # class -> (call takes `training`, call takes `mask`, defines compute_mask)


def _call_signature(layer):
    cls = type(layer)
    sig = _SIGNATURES.get(cls)
    if sig is None:
        params = inspect.signature(layer.call).parameters
        sig = ("training" in params or any(p.kind is p.VAR_KEYWORD for p in params.values()),
               "mask" in params, cls.compute_mask is not Layer.compute_mask)
        _SIGNATURES[cls] = sig
    return sig


class Layer:
    """Base class of all layers. See the module docstring for the contract."""

    def __init__(self, activity_regularizer=None, trainable=True, dtype=None, autocast=True,
                 name=None, **kwargs):
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise TypeError(
                f"{self.__class__.__name__}: unrecognized keyword arguments: {sorted(unknown)}. "
                f"Received: {kwargs}"
            )
        object.__setattr__(self, "_layers", [])
        object.__setattr__(self, "_own_weights", [])
        object.__setattr__(self, "_non_trainable_ids", set())
        self._trainable = bool(trainable)
        self.name = name or auto_name(self.__class__.__name__)
        self._set_dtype_policy(dtype)
        self.autocast = autocast
        self.built = False
        self.input_spec = None
        self.supports_masking = False
        self._inbound_nodes = []
        self._losses = []
        self._build_shapes = None
        self.activity_regularizer = registry.get("regularizer", activity_regularizer)
        shape = kwargs.get("input_shape")
        if shape is None and kwargs.get("input_dim") is not None:
            shape = (kwargs["input_dim"],)
        batch_shape = kwargs.get("batch_input_shape")
        if batch_shape is None and shape is not None:
            batch_shape = (kwargs.get("batch_size"),) + tuple(shape)
        self._batch_input_shape = tuple(batch_shape) if batch_shape is not None else None
        self._initial_weights = kwargs.get("weights")

    # -- attribute tracking: sub-layers and variables assigned as attributes ---------------------
    def __setattr__(self, key, value):
        if not key.startswith("__") and key != "_cache" and "_layers" in self.__dict__:
            if isinstance(value, Layer) and value is not self:
                if not any(value is l for l in self._layers):
                    self._layers.append(value)
                    bump_structure()
            elif isinstance(value, (list, tuple)) and value and all(
                    isinstance(v, Layer) for v in value):
                for v in value:
                    if not any(v is l for l in self._layers):
                        self._layers.append(v)
                bump_structure()
            elif isinstance(value, Variable) and not any(value is w for w in self._own_weights):
                self._own_weights.append(value)
                bump_structure()
        object.__setattr__(self, key, value)

    # -- dtype and trainable ----------------------------------------------------------------------
    def _set_dtype_policy(self, dtype):
        """``dtype``: a policy name, a DTypePolicy, its config envelope or a dtype; None is the
        global policy (``ember.config.dtype_policy()``)."""
        policy = dtype_policies.get(dtype)
        self._dtype_policy = policy
        # _dtype is the compute dtype: what __call__ casts float inputs to (the hot path)
        self._dtype = policy.compute_dtype
        self._variable_dtype = policy.variable_dtype
        mixed = policy.compute_dtype != policy.variable_dtype
        self._mixed_dtype = array_dtype(policy.compute_dtype) if mixed else None

    @property
    def dtype(self):
        """The dtype of the layer's weights (``variable_dtype``), as Keras."""
        return self._variable_dtype

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._dtype

    @property
    def variable_dtype(self):
        return self._variable_dtype

    @property
    def dtype_policy(self):
        """The layer's :class:`ember.dtype_policies.DTypePolicy`."""
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        self._set_dtype_policy(value)

    def _autocast_target(self):
        """The dtype ops read float variables in during ``call`` (None: as stored), given the
        enclosing layer's: Keras's AutocastScope rules."""
        outer = function.autocast_dtype()
        if outer is None:
            return self._mixed_dtype if self.autocast else None
        compute = array_dtype(self._dtype)
        return compute if self.autocast and function.is_float_dtype(compute) else None

    def _call_autocast(self, *args, **kwargs):
        """``call`` with ops reading float variables in the compute dtype (mixed policies)."""
        target = self._autocast_target()
        if target == function.autocast_dtype():
            return self.call(*args, **kwargs)
        previous = function.set_autocast_dtype(target)
        try:
            return self.call(*args, **kwargs)
        finally:
            function.set_autocast_dtype(previous)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        value = bool(value)
        self._trainable = value
        bump_structure()
        for w in self._own_weights:
            if id(w) not in self._non_trainable_ids:
                w.trainable = value
        for layer in self._layers:
            layer.trainable = value

    # -- weights -----------------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none", name=None):
        """Create a weight of this layer (a Variable named ``<layer>/<name>``)."""
        shape = tuple(() if shape is None else shape)
        for d in shape:
            if d is None or int(d) < 0:
                raise ValueError(
                    f"Layer {self.__class__.__name__} '{self.name}': cannot create weight "
                    f"{name!r} with shape {shape}; every dimension must be a known non-negative "
                    "integer."
                )
        dtype = standardize_dtype(dtype or self._variable_dtype)
        if initializer is None:
            initializer = "glorot_uniform" if xp.dtype(dtype).kind == "f" else "zeros"
        init = registry.get("initializer", initializer)
        value = init(shape, dtype=dtype)
        var = Variable(xp.asarray(value, dtype=dtype), dtype=dtype, trainable=trainable,
                       name=name or f"variable_{len(self._own_weights)}")
        var.path = f"{self.name}/{var.name}"
        var.autocast = bool(autocast)
        if not trainable:
            self._non_trainable_ids.add(id(var))
        var.regularizer = registry.get("regularizer", regularizer)
        var.constraint = registry.get("constraint", constraint)
        if not self._trainable:
            var.trainable = False
        self._own_weights.append(var)
        bump_structure()
        return var

    def _flat_layers(self):
        seen, out, stack = set(), [], list(self._layers)
        while stack:
            layer = stack.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
        return out

    def _all_weights(self):
        """Own weights then the sub-layers' weights, each once, in creation order."""
        seen, out = set(), []
        for w in self._own_weights:
            if id(w) not in seen:
                seen.add(id(w))
                out.append(w)
        for layer in self._flat_layers():
            for w in layer._all_weights():
                if id(w) not in seen:
                    seen.add(id(w))
                    out.append(w)
        return out

    def _cached(self, key, compute):
        """``compute()``, cached until the structure (weights, sub-layers, flags) changes."""
        cache = self.__dict__.setdefault("_cache", {})
        hit = cache.get(key)
        if hit is not None and hit[0] == structure_version[0]:
            return hit[1]
        value = compute()
        cache[key] = (structure_version[0], value)
        return value

    def _all_layers(self):
        """Every sub-layer, recursively, each once (cached)."""
        def compute():
            seen, out, stack = {id(self)}, [], list(self._layers)
            while stack:
                layer = stack.pop(0)
                if id(layer) in seen:
                    continue
                seen.add(id(layer))
                out.append(layer)
                stack.extend(layer._layers)
            return out

        return self._cached("all_layers", compute)

    @property
    def trainable_weights(self):
        return list(self._cached("trainable", self._compute_trainable_weights))

    def _compute_trainable_weights(self):
        if not self._trainable:
            return []
        own = [w for w in self._own_weights if w.trainable]
        seen = {id(w) for w in own}
        for layer in self._flat_layers():
            for w in layer.trainable_weights:
                if id(w) not in seen:
                    seen.add(id(w))
                    own.append(w)
        return own

    @property
    def non_trainable_weights(self):
        trainable = {id(w) for w in self.trainable_weights}
        return [w for w in self._all_weights() if id(w) not in trainable]

    @property
    def weights(self):
        """Trainable weights first, then non-trainable ones (Keras's order)."""
        return self.trainable_weights + self.non_trainable_weights

    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights
    variables = weights

    def get_weights(self):
        """The weights' values as a list of NumPy arrays."""
        return [w.numpy() for w in self.weights]  # Variable.numpy() is a copy

    def set_weights(self, weights):
        """Set the weights from a list of arrays (same order and shapes as ``get_weights``)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"Layer {self.__class__.__name__} '{self.name}' expects {len(params)} weight "
                f"arrays, but set_weights received {len(weights)}."
            )
        for p, w in zip(params, weights):
            w = xp.asarray(w)
            if tuple(w.shape) != tuple(p.shape):
                raise ValueError(
                    f"Layer '{self.name}': weight {p.path} has shape {p.shape}, but the value "
                    f"given has shape {w.shape}."
                )
            p.assign(w)

    def count_params(self):
        """The number of scalars in the weights (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so its weights do not exist. Call it on "
                "data or call build(input_shape) first."
            )
        return int(sum(w.size for w in self.weights))

    # -- losses ------------------------------------------------------------------------------------
    def add_loss(self, loss):
        self._losses.append(loss)

    @property
    def losses(self):
        """Activity losses of the last call plus weight-regularization penalties, as Tensors
        computed now (so that, inside a tape, their gradients flow)."""
        out = list(self._losses)
        for layer in self._all_layers():
            if layer._losses:
                out.extend(layer._losses)
        regularized = self._cached("regularized", lambda: [
            w for w in self._all_weights() if w.regularizer is not None])
        for w in regularized:
            if w.trainable:
                out.append(w.regularizer(w))
        return out

    # -- building ----------------------------------------------------------------------------------
    def build(self, input_shape):
        self.built = True

    def _build_overridden(self):
        return type(self).build is not Layer.build

    def _maybe_build(self, shapes):
        if self.built:
            return
        if self._build_overridden():
            self._build_shapes = shapes
            self.build(shapes)
        self.built = True
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"input_shape": _shape_list(self._build_shapes)}

    def build_from_config(self, config):
        if not config:
            return
        if "input_shape" in config and config["input_shape"] is not None:
            self._maybe_build(_shape_tuple(config["input_shape"]))
        elif "shapes_dict" in config:
            shapes = {k: _shape_tuple(v) for k, v in config["shapes_dict"].items()}
            if self._build_overridden():
                self.build(**shapes)
            self.built = True

    # -- calling -----------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        if args:
            inputs, args = args[0], args[1:]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
        else:
            raise TypeError(f"Layer '{self.name}' was called without inputs.")
        if type(inputs) is Tensor:
            # the common case, kept short: one tensor, converted only when its dtype differs
            if inputs.data.dtype != self._dtype and function.is_float_dtype(inputs.data.dtype) \
                    and self.autocast and not gradcheck.checking():
                inputs = inputs.astype(self._dtype)
        elif is_symbolic(inputs) or ((args or kwargs) and is_symbolic((args, kwargs))):
            # any symbolic argument, positional or keyword, makes this a Functional API call
            return self._symbolic_call(inputs, args, kwargs)
        else:
            inputs = self._convert_inputs(inputs)
        if not self.built:
            self._maybe_build(_shapes_of(inputs))
        if self.input_spec is not None:
            # checked once per new input shape: the same shape passes again
            shape = inputs.data.shape if type(inputs) is Tensor else None
            if shape is None or shape != self.__dict__.get("_checked_shape"):
                assert_input_compatibility(self.input_spec, inputs, self)
                self._checked_shape = shape
        has_training, has_mask, masks_out = _call_signature(self)
        training = kwargs.pop("training", None)
        outer = getattr(_ctx, "training", None)
        if training is None:
            training = outer
        if has_training:
            kwargs["training"] = training
        in_mask = _mask_of(inputs)
        if has_mask and in_mask is not None and "mask" not in kwargs:
            kwargs["mask"] = in_mask
        if self._losses:
            self._losses = []
        # the float32 path calls directly; a mixed policy, or a layer inside one, autocasts
        call = self.call if self._mixed_dtype is None and function.autocast_dtype() is None \
            else self._call_autocast
        if training is not None and outer is None:
            _ctx.training = training
            try:
                outputs = call(inputs, *args, **kwargs)
            finally:
                _ctx.training = None
        else:
            outputs = call(inputs, *args, **kwargs)
        if self.activity_regularizer is not None:
            for out in flatten(outputs):
                if isinstance(out, Tensor):
                    self.add_loss(self.activity_regularizer(out))
        if (masks_out or self.supports_masking) and (in_mask is not None or masks_out):
            _attach_masks(outputs, self.compute_mask(inputs, in_mask), Tensor)
        return outputs

    def call(self, *args, **kwargs):
        """The computation; every subclass defines it (the base class has none, as Keras)."""
        raise NotImplementedError(
            f"Layer {self.__class__.__name__} does not have a `call` method implemented."
        )

    def compute_mask(self, inputs, mask=None):
        return mask if self.supports_masking else None

    def _convert_inputs(self, inputs):
        dtype = self._dtype if self.autocast and not gradcheck.checking() else None

        def convert(x):
            if isinstance(x, Tensor):
                if dtype is not None and function.is_float_dtype(x.data.dtype) and \
                        x.data.dtype != dtype:
                    return x.astype(dtype)
                return x
            if x is None or isinstance(x, (str, bool)):
                return x
            array = xp.asarray(x)
            if function.is_float_dtype(array.dtype) and dtype is not None and \
                    array.dtype != dtype:
                array = array.astype(dtype)
            elif array.dtype.kind == "O":
                raise TypeError(
                    f"Layer '{self.name}' received an input it cannot convert to an array: "
                    f"{type(x).__name__}"
                )
            return Tensor(array)

        return map_structure(convert, inputs)

    # -- symbolic (Functional API) calls -----------------------------------------------------------
    def compute_output_shape(self, input_shape):
        raise NotImplementedError

    def compute_output_spec(self, inputs, *args, **kwargs):
        """Output KerasTensors for symbolic ``inputs``: from ``compute_output_shape`` when the
        layer defines it, else by running ``call`` on zeros with unknown dimensions set to two
        different sizes (a dimension that differs between the runs is unknown)."""
        shapes = map_structure(lambda t: t.shape if isinstance(t, KerasTensor) else t, inputs)
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            out_shapes = self.compute_output_shape(shapes)
            return _specs_from_shapes(out_shapes, self._dtype)
        runs = []
        for fill in (2, 3):
            dummy_inputs, dummy_args, dummy_kwargs = _dummies((inputs, args, kwargs), fill)
            saved = list(active_tapes())
            active_tapes().clear()
            try:
                if _call_signature(self)[0]:
                    dummy_kwargs["training"] = False
                # as an eager call: float inputs in the compute dtype, variables autocast
                out = self._call_autocast(self._convert_inputs(dummy_inputs), *dummy_args,
                                          **dummy_kwargs)
            finally:
                active_tapes().extend(saved)
            runs.append(out)
        # losses added by the runs on dummy data are not the model's losses
        self._losses = []
        return _merge_runs(runs[0], runs[1])

    def _symbolic_mask(self, inputs, in_mask):
        """The output mask of a symbolic call: ``compute_mask`` run on dummies when the layer
        defines it (Embedding, Masking), else the input mask passed through."""
        if type(self).compute_mask is Layer.compute_mask:
            return in_mask if self.supports_masking else None
        runs = []
        for fill in (2, 3):
            dummy_inputs, dummy_mask = _dummies((inputs, in_mask), fill)
            runs.append(self.compute_mask(dummy_inputs, dummy_mask))
        return _merge_runs(runs[0], runs[1])

    def _symbolic_outputs(self, inputs, args, kwargs):
        """Output KerasTensors (with their masks) of a call on symbolic arguments, without
        recording it in the graph."""
        if not self.built:
            self._maybe_build(_shapes_of(inputs))
        if self.input_spec is not None:
            assert_input_compatibility(self.input_spec, inputs, self)
        _, has_mask, masks_out = _call_signature(self)
        in_mask = _mask_of(inputs)
        if has_mask and in_mask is not None and "mask" not in kwargs:
            # as in an eager call, call() sees the mask that the inputs carry
            kwargs = dict(kwargs, mask=in_mask)
        outputs = self.compute_output_spec(inputs, *args, **kwargs)
        if (masks_out or self.supports_masking) and (in_mask is not None or masks_out):
            _attach_masks(outputs, self._symbolic_mask(inputs, in_mask), KerasTensor)
        return outputs

    def _symbolic_call(self, inputs, args, kwargs):
        outputs = self._symbolic_outputs(inputs, args, kwargs)
        node_index = len(self._inbound_nodes)
        for i, t in enumerate(flatten(outputs)):
            t._keras_history = (self, node_index, i)
        self._inbound_nodes.append(Node(self, (inputs,) + tuple(args), dict(kwargs), outputs))
        return outputs

    # -- the graph around a layer: its first call on symbolic inputs --------------------------
    def _first_node_tensors(self, attr, what):
        if not self._inbound_nodes:
            raise AttributeError(
                f"The layer {self.name} has never been called and thus has no defined {what}."
            )
        values = getattr(self._inbound_nodes[0], attr)
        return values[0] if len(values) == 1 else values

    @property
    def input(self):
        """The symbolic input(s) of this layer's first call in a Functional graph (a list when
        there are several)."""
        return self._first_node_tensors("input_tensors", "input")

    @property
    def output(self):
        """The symbolic output(s) of this layer's first call in a Functional graph (a list when
        there are several)."""
        return self._first_node_tensors("output_tensors", "output")

    @output.setter
    def output(self, value):
        # InputLayer assigns its tensor, which is already its first node's output
        if not self._inbound_nodes or value is not self.output:
            raise AttributeError(
                f"Layer '{self.name}': `output` is the output of the layer's first call and "
                "cannot be set."
            )

    # -- configuration -----------------------------------------------------------------------------
    def get_config(self):
        """The constructor arguments (Keras's base keys: name, trainable, dtype)."""
        cfg = {"name": self.name, "trainable": self.trainable,
               "dtype": dtype_policies.serialize(self._dtype_policy)}
        if self._batch_input_shape is not None:
            cfg["batch_input_shape"] = list(self._batch_input_shape)
        if self.activity_regularizer is not None:
            cfg["activity_regularizer"] = registry.serialize(self.activity_regularizer)
        return cfg

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("dtype"), dict):  # the envelope get_config writes
            config["dtype"] = dtype_policies.deserialize(config["dtype"])
        return cls(**config)

    def __repr__(self):
        return f"<{self.__class__.__name__} name={self.name}, built={self.built}>"


def positive_int(value, layer, arg):
    """``value`` as an int, or a ValueError naming the layer and the argument."""
    try:
        n = operator.index(value)
    except TypeError:
        n = None
    if n is None or isinstance(value, bool) or n <= 0:
        raise ValueError(
            f"{layer}: `{arg}` must be a positive integer. Received: {arg}={value!r}"
        )
    return n


def _shapes_of(inputs):
    return map_structure(lambda t: tuple(t.shape) if hasattr(t, "shape") else None, inputs)


def _mask_of(inputs):
    if type(inputs) is Tensor:
        return inputs._keras_mask
    masks = [getattr(t, "_keras_mask", None) for t in flatten(inputs)]
    if not any(m is not None for m in masks):
        return None
    return masks[0] if len(masks) == 1 else masks


def _shape_list(shapes):
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return list(shapes)
    if isinstance(shapes, (list, tuple)):
        return [_shape_list(s) for s in shapes]
    if isinstance(shapes, dict):
        return {k: _shape_list(v) for k, v in shapes.items()}
    return shapes


def _shape_tuple(shape):
    if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(shape)
    if isinstance(shape, (list, tuple)):
        return [_shape_tuple(s) for s in shape]
    return shape


def _specs_from_shapes(shapes, dtype):
    if isinstance(shapes, tuple) and all(d is None or isinstance(d, int) for d in shapes):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(_specs_from_shapes(s, dtype) for s in shapes)
    if isinstance(shapes, dict):
        return {k: _specs_from_shapes(v, dtype) for k, v in shapes.items()}
    raise TypeError(f"compute_output_shape returned {shapes!r}, expected a shape tuple")


def _dummies(structure, fill):
    """``structure`` with every KerasTensor replaced by data of its shape (unknown dimensions
    set to ``fill``): zeros, or all-True for a boolean mask, so that no step is masked out."""
    def dummy(t):
        if not isinstance(t, KerasTensor):
            return t
        shape = tuple(fill if d is None else d for d in t.shape)
        if t.dtype == "bool":
            return Tensor(xp.ones(shape, dtype=bool))
        return Tensor(xp.zeros(shape, dtype=t.dtype))

    return map_structure(dummy, structure)


def _merge_runs(a, b):
    if isinstance(a, Tensor) or hasattr(a, "shape") and hasattr(a, "dtype"):
        shape = tuple(x if x == y else None for x, y in zip(a.shape, b.shape))
        return KerasTensor(shape, xp.dtype(a.dtype).name)
    if isinstance(a, (list, tuple)):
        return type(a)(_merge_runs(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge_runs(a[k], b[k]) for k in a}
    if a is None:
        return None
    raise TypeError(f"A layer's call returned {type(a).__name__}; expected Tensors")


def _attach_masks(outputs, mask, kind):
    """Set ``_keras_mask`` on each output of type ``kind``: one mask per output, or the one mask
    on every output."""
    if mask is None:
        return
    outs = flatten(outputs)
    masks = flatten(mask) if isinstance(mask, (list, tuple)) else [mask] * len(outs)
    for out, m in zip(outs, masks):
        if isinstance(out, kind):
            out._keras_mask = m
