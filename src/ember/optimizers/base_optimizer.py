"""The optimizer base: state, clipping, weight decay, schedules, and the flat-buffer fast path.

Flat-buffer design
------------------
When every trainable variable has the same float dtype, ``build`` packs them into ONE
contiguous 1-D buffer: each variable's values are copied in and ``var.data`` becomes a reshaped
view of its slice (``Variable.assign`` writes in place, so the views stay valid). Each slot
(Adam's ``m`` and ``v``, ...) is one flat buffer too, and the per-variable slot Variables that
``optimizer.variables`` exposes (for saving, in Keras's order) are views into it. Gradients are
copied into a flat gradient buffer allocated once (one ``copyto`` per variable), and an update
is a handful of in-place NumPy calls over the flat arrays, with preallocated scratch buffers:
no per-step allocation and a number of NumPy calls independent of the number of layers.
With ``use_ema`` the moving averages are one more flat buffer, laid out as the parameters:
their update is three whole-buffer NumPy calls a step.

Each step checks, by identity, that every variable's ``.data`` still is the installed view; if
someone rebound it, the variable is copied back into its slice and the view reinstalled.

Steps where some gradients are None, where the variables come in another order or a subset,
and optimizers over mixed dtypes take the per-variable path: the same update rule applied to
each variable's arrays (in flat mode, to its slices of the flat buffers), so both paths give
bit-identical results.

Subclasses describe their slots (``_slot_groups``), may precompute per-step scalars
(``_coefficients``) and write the rule once, on raw arrays (``_update_arrays``); a rule that
needs each variable whole (a per-variable norm) sets ``_per_variable_rule``. A Keras-style
subclass that overrides ``build``/``update_step`` (with ``add_variable_from_reference`` and
``assign``) also works, through the per-variable path.
"""

import math
import operator
import re
import warnings

from ember import config, registry
from ember.autodiff.tensor import Tensor, Variable, data_of
from ember.autodiff.trace import effect
from ember.backend import xp


class Optimizer:
    """Base class of the optimizers, as ``keras.optimizers.Optimizer``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule``, or a callable with no arguments.
        weight_decay: if set, each step first decays variables: ``v -= v * weight_decay * lr``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: clip all gradients together to this global L2 norm.
        loss_scale_factor: gradients are divided by it (see ``scale_loss``).
        use_ema: keep an exponential moving average (EMA) of the trainable variables: after
            each step ``average = m * average + (1 - m) * variable``, with ``m =
            ema_momentum`` (0 on the first step, so the average starts at the weights).
        ema_momentum: the EMA's momentum, in [0, 1].
        ema_overwrite_frequency: with ``use_ema``, every this many steps the variables are
            overwritten with their average; None: only ``finalize_variable_values`` (called
            at the end of ``fit``) does so.
        name: the optimizer's name (prefix of its variables' paths).

    ``gradient_accumulation_steps`` is accepted for config compatibility with Keras but not
    implemented (a ValueError says so when it is set).
    """

    # -- what subclasses define ------------------------------------------------------------------
    #: number of scratch buffers (each the size of the parameters) ``_update_arrays`` needs
    _num_scratch = 1

    def _slot_groups(self):
        """Slots as groups of ``(name, initial_value)``; within a group the slots of each
        variable are interleaved (Keras's order): ``[(("momentum", 0.0), ("velocity", 0.0))]``
        gives ``m_0, v_0, m_1, v_1, ...``."""
        return []

    def _advance(self, step):
        """Per-step state that is not per-variable (called once per step, before the update)."""

    def _coefficients(self, step, lr):
        """Scalars shared by all variables for this step (``step`` counts from 1)."""
        return lr

    def _update_arrays(self, p, g, slots, coef, scratch):
        """Update parameter array ``p`` in place from gradient ``g`` and slot arrays ``slots``
        (in the order of ``_slot_groups``), using preallocated ``scratch`` arrays of ``p``'s
        shape. ``p``/``g``/``slots`` are whole flat buffers or one variable's arrays."""
        raise NotImplementedError(f"{type(self).__name__} must implement _update_arrays")

    #: True when the rule needs each variable whole (a norm or the shape of each variable, as
    #: Lamb's trust ratio): ``_update_arrays`` is then called once per variable, on its views
    #: into the flat buffers, instead of once on the whole buffers.
    _per_variable_rule = False

    def _kernel(self):
        """A fused kernel doing ``_update_arrays`` in one pass (see ``ember.backend.kernels``),
        called as ``kernel(p, g, *slots, *self._kernel_scalars(coef))`` on 1-D float32 arrays;
        None to always use ``_update_arrays``."""
        return None

    def _kernel_scalars(self, coef):
        return ()

    def _extra_variables(self, dtype):
        """Variables created after the slots (e.g. Nadam's ``u_product``)."""
        return []

    # -- construction ----------------------------------------------------------------------------
    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        kwargs.pop("decay", None)  # legacy argument, ignored as in Keras
        if kwargs:
            raise ValueError(f"Argument(s) not recognized: {kwargs}")
        cls = type(self).__name__
        if gradient_accumulation_steps:
            raise ValueError(
                f"{cls}: gradient_accumulation_steps is not supported by ember yet. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps}")
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}")
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"{cls}: `ema_momentum` must be in the range [0, 1]. "
                    f"Received: ema_momentum={ema_momentum}")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(
                    f"{cls}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency}")
        self.name = name or registry.to_snake_case(cls)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._index = {}
        self._flat = None
        self._exclude_ids = set()
        self._exclude_pattern = None
        self._iterations = self._own_variable(0, "iteration", "int64")
        from ember.optimizers.schedules import LearningRateSchedule

        if isinstance(learning_rate, LearningRateSchedule) or (
                callable(learning_rate) and not isinstance(learning_rate, Tensor)):
            self._learning_rate = learning_rate
        else:
            try:
                value = float(data_of(learning_rate))
            except (TypeError, ValueError):
                raise ValueError(
                    "Argument `learning_rate` should be float, or an instance of "
                    "LearningRateSchedule, or a callable (that takes in the current iteration "
                    "value and returns the corresponding learning rate value). Received "
                    f"instead: learning_rate={learning_rate!r}") from None
            self._learning_rate = self._own_variable(value, "learning_rate", config.floatx())

    def _own_variable(self, value, name, dtype):
        var = Variable(value, dtype=dtype, trainable=False, name=name)
        var.path = f"{self.name}/{name}"
        self._variables.append(var)
        return var

    # -- properties ------------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of steps applied so far (an int64 Variable)."""
        return self._iterations

    @property
    def variables(self):
        """iterations, learning_rate (when a float), then slot Variables in Keras's order."""
        return self._variables[:]

    @property
    def learning_rate(self):
        """The current learning rate: the Variable (``float(opt.learning_rate)`` reads it), or
        the schedule's value at the current step."""
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        from ember.optimizers.schedules import LearningRateSchedule

        previous = self._learning_rate if isinstance(self._learning_rate, Variable) else None
        if isinstance(value, LearningRateSchedule) or (
                callable(value) and not isinstance(value, Tensor)):
            self._learning_rate = value
            if previous is not None:
                self._variables = [v for v in self._variables if v is not previous]
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError(
                "This optimizer was created with a `LearningRateSchedule` object as its "
                "`learning_rate` constructor argument, hence its learning rate is not settable. "
                "If you need the learning rate to be settable, you should instantiate the "
                "optimizer with a float `learning_rate` argument.")
        self._learning_rate.data[...] = float(data_of(value))

    def _get_current_learning_rate(self):
        from ember.optimizers.schedules import LearningRateSchedule

        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations)
        return lr()

    def _lr_float(self):
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return float(lr.data)
        return float(data_of(self._get_current_learning_rate()))

    # -- building --------------------------------------------------------------------------------
    def _custom_update(self):
        return type(self).update_step is not Optimizer.update_step

    def build(self, variables):
        """Create the optimizer's state for ``variables`` (packing them into one flat buffer
        when they share one float dtype)."""
        if self.built:
            return
        variables = list(variables)
        for v in variables:
            if not isinstance(v, Variable):
                raise TypeError(
                    f"{type(self).__name__}.build expects Variables. Received: {type(v).__name__}")
            if v.dtype.kind != "f":
                raise TypeError(
                    f"{type(self).__name__} can only train float variables; variable "
                    f"{v.path!r} has dtype {v.dtype}. Mark it trainable=False.")
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._decay_flags = [self._use_weight_decay(v) for v in variables]
        self.built = True
        custom = self._custom_update()
        dtypes = {v.dtype for v in variables}
        flat = not custom and len(dtypes) == 1 and variables and self._flat_enabled()
        if self.use_ema:  # Keras creates the averages first, before any slot
            self._build_ema(variables, flat)
        if custom:
            return  # a Keras-style subclass creates its own slots after super().build()
        groups = self._slot_groups()
        if flat:
            self._build_flat(variables, groups, dtypes.pop())
        else:
            self._build_per_variable(variables, groups)
        dtype = variables[0].dtype if variables else xp.dtype(config.floatx())
        for var in self._extra_variables(dtype):
            self._variables.append(var)

    def _flat_enabled(self):
        return getattr(self, "_use_flat", True)

    def _slot_variable(self, ref, name, array):
        var = Variable(array, dtype=array.dtype, trainable=False,
                       name=f"{ref.path.replace('/', '_')}_{name}")
        var.data = array  # the slot Variable *is* the array (a view in flat mode)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def _build_flat(self, variables, groups, dtype):
        sizes = [v.size for v in variables]
        offsets = [0]
        for n in sizes:
            offsets.append(offsets[-1] + n)
        total = offsets[-1]
        params = xp.empty(total, dtype=dtype)
        grad = xp.zeros(total, dtype=dtype)
        scratch = [xp.empty(total, dtype=dtype) for _ in range(max(self._num_scratch, 1))]
        views, grad_views, scratch_views = [], [], []
        for v, a, b in zip(variables, offsets, offsets[1:]):
            view = params[a:b].reshape(v.shape)
            view[...] = v.data
            v.data = view
            views.append(view)
            grad_views.append(grad[a:b].reshape(v.shape))
            scratch_views.append([s[a:b].reshape(v.shape) for s in scratch])
        slot_flat = {}
        names = [name for group in groups for name, _ in group]
        for group in groups:
            for name, init in group:
                slot_flat[name] = xp.full(total, init, dtype=dtype)
            for v, a, b in zip(variables, offsets, offsets[1:]):
                for name, _ in group:
                    self._slot_variable(v, name, slot_flat[name][a:b].reshape(v.shape))
        slot_views = [[slot_flat[name][a:b].reshape(v.shape) for name in names]
                      for v, a, b in zip(variables, offsets, offsets[1:])]
        self._flat = _Flat(params, grad, [slot_flat[n] for n in names], scratch, views,
                           grad_views, offsets)
        self._grad_bufs = grad_views
        self._slot_arrays = slot_views
        self._scratch = scratch_views

    def _build_ema(self, variables, flat):
        """The moving averages (Keras's ``<variable>_average``, zeros until the first step):
        in flat mode views into one buffer laid out as the flat parameters, so that a step
        updates them with a few whole-buffer NumPy calls."""
        if flat:
            buf = xp.zeros(sum(v.size for v in variables), dtype=variables[0].dtype)
            arrays, start = [], 0
            for v in variables:
                arrays.append(buf[start:start + v.size].reshape(v.shape))
                start += v.size
        else:
            buf = None
            arrays = [xp.zeros(v.shape, dtype=v.dtype) for v in variables]
        self._ema_flat = buf
        self._model_variables_moving_average = [
            self._slot_variable(v, "average", a) for v, a in zip(variables, arrays)]

    def _build_per_variable(self, variables, groups):
        names = [name for group in groups for name, _ in group]
        slots = {name: [] for name in names}
        for group in groups:
            for v in variables:
                for name, init in group:
                    array = xp.full(v.shape, init, dtype=v.dtype)
                    slots[name].append(self._slot_variable(v, name, array).data)
        self._slot_arrays = [[slots[n][i] for n in names] for i in range(len(variables))]
        self._grad_bufs = [xp.zeros(v.shape, dtype=v.dtype) for v in variables]
        # one scratch area per dtype, sized for the largest variable; each variable uses views
        largest = {}
        for v in variables:
            largest[v.dtype] = max(largest.get(v.dtype, 0), v.size)
        pools = {dt: [xp.empty(n, dtype=dt) for _ in range(max(self._num_scratch, 1))]
                 for dt, n in largest.items()}
        self._scratch = [[s[:v.size].reshape(v.shape) for s in pools[v.dtype]]
                         for v in variables]

    def _repack(self):
        """Reinstall the flat views after someone rebound a variable's ``.data``."""
        flat = self._flat
        for v, view in zip(self._trainable_variables, flat.views):
            if v.data is not view:
                if v.data.shape != view.shape:
                    raise ValueError(
                        f"Variable {v.path!r} changed shape from {view.shape} to "
                        f"{v.data.shape} after the optimizer was built; create a new optimizer.")
                view[...] = v.data
                v.data = view

    # -- Keras-style helpers for custom subclasses ------------------------------------------------
    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="mean", name=None):
        """A new non-trainable optimizer Variable, tracked in ``variables``."""
        from ember import initializers

        init = initializers.get(initializer)
        var = Variable(init, shape=tuple(shape), dtype=dtype or config.floatx(),
                       trainable=False, name=name)
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A zero Variable with the shape and dtype of ``reference_variable``."""
        name = f"{reference_variable.path.replace('/', '_')}_{name or 'var'}"
        return self.add_variable(reference_variable.shape, initializer=initializer,
                                 dtype=reference_variable.dtype, name=name)

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def assign(self, variable, value):
        variable.assign(value)

    def assign_add(self, variable, value):
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        variable.assign_sub(value)

    def update_step(self, gradient, variable, learning_rate):
        """Apply this optimizer's rule to one variable (the per-variable path). Keras-style
        subclasses override it (with ``assign``/``assign_sub`` on their slot Variables)."""
        i = self._get_variable_index(variable)
        g = self._grad_bufs[i]
        xp.copyto(g, data_of(gradient))
        coef = self._coefficients(int(self._iterations.data) + 1,
                                  float(data_of(learning_rate)))
        self._update_arrays(variable.data, g, self._slot_arrays[i], coef, self._scratch[i])

    # -- applying gradients ----------------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Apply ``zip(grads, vars)``; returns ``iterations``."""
        grads, variables = zip(*grads_and_vars)
        self.apply(grads, variables)
        return self._iterations

    def minimize(self, loss, var_list, tape=None):
        """Compute gradients of ``loss`` (a callable, or a Tensor recorded on ``tape``) with
        respect to ``var_list`` and apply them."""
        from ember.autodiff.tape import GradientTape

        if callable(var_list):
            var_list = var_list()
        var_list = list(var_list)
        if callable(loss) and not isinstance(loss, Tensor):
            with GradientTape() as tape:
                value = loss()
        elif tape is None:
            raise ValueError(
                "`tape` is required when a `Tensor` loss is passed to minimize(). "
                f"Received: loss={loss!r}, tape={tape}")
        else:
            value = loss
        grads = tape.gradient(value, var_list)
        return self.apply_gradients(zip(grads, var_list))

    def scale_loss(self, loss):
        """``loss * loss_scale_factor`` when it is set (the gradients are unscaled in apply)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    @effect  # works on raw arrays: tf.function records the call and makes it at each replay
    def apply(self, grads, trainable_variables=None):
        """Update the variables from ``grads`` (a list matching ``trainable_variables``, or the
        variables the optimizer was built with)."""
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "When passing `grads` without `variables`, the optimizer must already be "
                    "built on a list of variables. Call `optimizer.build(trainable_variables)` "
                    "first.")
            variables = self._trainable_variables
        else:
            variables = trainable_variables if isinstance(trainable_variables, list) else list(
                trainable_variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{type(self).__name__}.apply received {len(grads)} gradients for "
                f"{len(variables)} variables; they must correspond one to one.")
        arrays = [g.data if isinstance(g, Tensor) else g for g in grads]
        tv = self._trainable_variables
        if not (self._flat is not None and len(variables) == len(tv)
                and all(map(operator.is_, variables, tv)) and self._apply_flat(arrays)):
            self._apply_per_variable(arrays, variables)
        self._iterations.data[()] += 1  # in place (and ~10x cheaper than += on a 0-d array)

    def _apply_flat(self, arrays):
        """The fast path; returns False (having changed nothing) when a gradient is None."""
        flat = self._flat
        tv = self._trainable_variables
        for g in arrays:
            if g is None:
                return False
        if not all(map(operator.is_, [v.data for v in tv], flat.views)):
            self._repack()
        kernel = self._kernel() if flat.params.dtype == xp.float32 else None
        if kernel is not None and not (self.loss_scale_factor or self.clipnorm
                                       or self.global_clipnorm or self.clipvalue):
            return self._apply_kernel(kernel, arrays)
        for view, g, v in zip(flat.grad_views, arrays, tv):
            if g is view:
                continue  # the gradient already lives in the flat buffer
            if g.shape != view.shape:
                _bad_gradient(v, xp.asarray(g))
            xp.copyto(view, g, casting="same_kind")
        g = flat.grad
        if self.loss_scale_factor is not None:
            g /= self.loss_scale_factor
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            if self.clipvalue and not (self.clipnorm or self.global_clipnorm):
                xp.clip(g, -self.clipvalue, self.clipvalue, out=g)
            else:
                self._clip(flat.grad_views)
        step, coef = self._begin_flat_step()
        if kernel is not None:
            kernel(flat.params, flat.grad, *flat.slots, *self._kernel_scalars(coef))
        elif self._per_variable_rule:
            for p, gv, slots, scratch in zip(flat.views, flat.grad_views, self._slot_arrays,
                                             self._scratch):
                self._update_arrays(p, gv, slots, coef, scratch)
        else:
            self._update_arrays(flat.params, g, flat.slots, coef, flat.scratch)
        self._end_flat_step(step)
        return True

    def _apply_kernel(self, kernel, arrays):
        """The fused update straight from each gradient array: no copy into the flat buffer."""
        flat = self._flat
        for g, view, v in zip(arrays, flat.views, self._trainable_variables):
            if g.shape != view.shape:  # all checked before anything changes
                _bad_gradient(v, xp.asarray(g))
        step, coef = self._begin_flat_step()
        scalars = self._kernel_scalars(coef)
        dtype = flat.params.dtype
        for (p, slots), g in zip(flat.segments, arrays):
            if g.dtype != dtype or not g.flags.c_contiguous:
                g = xp.ascontiguousarray(g, dtype=dtype)
            kernel(p, g.reshape(-1), *slots, *scalars)
        self._end_flat_step(step)
        return True

    def _begin_flat_step(self):
        """Weight decay, then this step's number and coefficients (both flat-mode updates)."""
        flat = self._flat
        lr = self._lr_float()
        if self.weight_decay:
            if all(self._decay_flags):
                _decay(flat.params, self.weight_decay * lr, flat.scratch[0])
            else:
                self._decay(list(range(len(self._trainable_variables))), lr)
        step = int(self._iterations.data) + 1
        self._advance(step)
        return step, self._coefficients(step, lr)

    def _end_flat_step(self, step):
        flat = self._flat
        if step % FLUSH_EVERY == 0:
            _flush_tiny(flat.slots, flat.scratch[0])
        if self.use_ema:
            self._update_ema()
        self._constrain(self._trainable_variables)

    def _apply_per_variable(self, arrays, variables):
        index = self._index
        idx, present = [], []
        missing = []
        for g, v in zip(arrays, variables):
            i = index.get(id(v))
            if i is None:
                raise ValueError(
                    f"Unknown variable: {v.path!r}. This optimizer can only be called for the "
                    "variables it was originally built with. When working with a new set of "
                    "variables, you should recreate a new optimizer instance.")
            if g is None:
                missing.append(v.name)
                continue
            idx.append(i)
            present.append((g, v))
        if not present:
            raise ValueError("No gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If "
                "using `model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3)
        if self._flat is not None:
            self._repack()
        if self._custom_update():
            self._apply_custom(present)
            return
        bufs = []
        for (g, v), i in zip(present, idx):
            buf = self._grad_bufs[i]
            g = xp.asarray(g)
            if g.shape != buf.shape:
                _bad_gradient(v, g)
            xp.copyto(buf, g, casting="same_kind")
            if self.loss_scale_factor is not None:
                buf /= self.loss_scale_factor
            bufs.append(buf)
        if self.clipnorm or self.global_clipnorm or self.clipvalue:
            if self.clipvalue and not (self.clipnorm or self.global_clipnorm):
                for buf in bufs:
                    xp.clip(buf, -self.clipvalue, self.clipvalue, out=buf)
            else:
                self._clip(bufs)
        lr = self._lr_float()
        if self.weight_decay:
            self._decay(idx, lr)
        step = int(self._iterations.data) + 1
        self._advance(step)
        coef = self._coefficients(step, lr)
        tv = self._trainable_variables
        for i, buf in zip(idx, bufs):
            self._update_arrays(tv[i].data, buf, self._slot_arrays[i], coef, self._scratch[i])
            if step % FLUSH_EVERY == 0:
                _flush_tiny(self._slot_arrays[i], self._scratch[i][0])
        if self.use_ema:
            self._update_ema()
        self._constrain([v for _, v in present])

    def _apply_custom(self, present):
        grads = []
        for g, v in present:
            g = xp.asarray(g)
            if g.shape != v.shape:
                _bad_gradient(v, g)
            if self.loss_scale_factor is not None:
                g = g / self.loss_scale_factor
            grads.append(g.astype(v.dtype, copy=False))
        if self.clipvalue and not (self.clipnorm or self.global_clipnorm):
            grads = [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        elif self.clipnorm or self.global_clipnorm:
            grads = [g.copy() for g in grads]
            self._clip(grads)
        self._apply_weight_decay([v for _, v in present])
        learning_rate = self.learning_rate
        for g, (_, v) in zip(grads, present):
            self.update_step(Tensor(g), v, learning_rate)
        if self.use_ema:
            self._update_ema()
        self._constrain([v for _, v in present])

    # -- moving average --------------------------------------------------------------------------
    def _update_ema(self):
        """After the update, before the constraints (Keras's order): ``average = m * average +
        (1 - m) * variable`` for every trainable variable (those without a gradient this step
        too, as Keras), ``m`` being 0 on the first step; then, every
        ``ema_overwrite_frequency`` steps, the variables take their average."""
        step = int(self._iterations.data)  # not yet incremented: 0 on the first step
        averages = self._model_variables_moving_average
        flat = self._flat
        if self._ema_flat is not None and flat is not None:
            # every variable's .data is its view into flat.params here (checked or repacked
            # at the start of the step)
            pairs = [(flat.params, self._ema_flat, flat.scratch[0])]
        else:
            pairs = [(v.data, a.data, None) for v, a in zip(self._trainable_variables, averages)]
        for p, avg, scratch in pairs:
            dtype = avg.dtype.type
            # the float32 arithmetic of Keras: m and 1 - m are rounded to the variable's dtype
            m = dtype(self.ema_momentum if step != 0 else 0.0)
            avg *= m
            if scratch is None:
                avg += p * (dtype(1) - m)
            else:
                xp.multiply(p, dtype(1) - m, out=scratch)
                avg += scratch
        freq = self.ema_overwrite_frequency
        if freq and (step + 1) % freq == 0:
            for p, avg, _ in pairs:
                xp.copyto(p, avg)

    def _overwrite_model_variables_with_average_value(self, var_list):
        """Assign each variable of ``var_list`` its moving average (in the order the optimizer
        was built with)."""
        averages = self._model_variables_moving_average
        var_list = list(var_list)
        if len(var_list) != len(averages):
            raise ValueError(
                f"The length of model variables ({len(var_list)}) to override does not match "
                f"the length of model variables stored in the optimizer ({len(averages)}). "
                "Please check if the optimizer was called on your model.")
        for var, average in zip(var_list, averages):
            var.assign(average.data)

    # -- clipping, decay, constraints ------------------------------------------------------------
    def _clip(self, grads):
        """Clip by norm (per gradient) or by global norm, in place. Norms are summed per
        variable in float64, so the flat and per-variable paths agree exactly."""
        if self.clipnorm and self.clipnorm > 0:
            c = float(self.clipnorm)
            for g in grads:
                flat = g.reshape(-1)
                norm = math.sqrt(float(xp.dot(flat, flat)))
                if norm > c:
                    g *= c / norm
        elif self.global_clipnorm and self.global_clipnorm > 0:
            c = float(self.global_clipnorm)
            total = 0.0
            for g in grads:
                flat = g.reshape(-1)
                total += float(xp.dot(flat, flat))
            norm = math.sqrt(total)
            if not math.isfinite(norm):
                for g in grads:
                    g[...] = xp.nan  # as Keras: a non-finite norm poisons the update
            elif norm > c:
                scale = c / norm
                for g in grads:
                    g *= scale

    def _apply_weight_decay(self, variables):
        """``v -= v * weight_decay * lr`` on ``variables`` (those not excluded), before a
        Keras-style ``update_step``; Keras's hook, which an optimizer with its own decay rule
        (Muon) overrides."""
        if not self.weight_decay:
            return
        lr = self._lr_float()
        for v in variables:
            if self._decay_flags[self._index[id(v)]]:
                v.data -= v.data * (self.weight_decay * lr)

    def _decay(self, indices, lr):
        wd = self.weight_decay * lr
        tv = self._trainable_variables
        for i in indices:
            if self._decay_flags[i]:
                _decay(tv[i].data, wd, self._scratch[i][0])

    def _constrain(self, variables):
        for v in variables:
            c = v.constraint
            if c is not None:
                v.assign(c(v))

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exclude variables (or those whose name contains one of ``var_names``) from weight
        decay; call before the optimizer is built."""
        if self.built:
            raise ValueError(
                "`exclude_from_weight_decay()` can only be configured before the optimizer is "
                "built.")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in self._exclude_ids:
            return False
        pattern = self._exclude_pattern
        return not (pattern is not None and pattern.search(variable.name))

    # -- state -----------------------------------------------------------------------------------
    def set_weights(self, weights):
        """Set ``variables`` from a list of arrays (the optimizer must be built)."""
        if not self.built:
            raise ValueError(
                "You are calling `set_weights()` on an optimizer that has not yet been built. "
                "Please call `optimizer.build(trainable_variables)` to create the optimizer "
                "weights before calling `set_weights()`.")
        for var, w in zip(self.variables, weights):
            w = xp.asarray(data_of(w))
            if var.shape != w.shape:
                raise ValueError(
                    f"Optimizer variable {var.path!r} has shape {var.shape} not compatible with "
                    f"provided weight shape {w.shape}.")
            var.assign(w)

    def get_weights(self):
        return [v.data.copy() for v in self.variables]

    def save_own_variables(self, store):
        """Write the state into ``store`` (keys ``"0"``, ``"1"``, ... in ``variables`` order)."""
        for i, var in enumerate(self.variables):
            store[str(i)] = var.data

    def load_own_variables(self, store):
        """Read the state written by ``save_own_variables`` (in place)."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            msg = (f"Skipping variable loading for optimizer '{self.name}', because it has "
                   f"{len(variables)} variables whereas the saved optimizer has "
                   f"{len(store.keys())} variables. ")
            if len(variables) <= 2:
                msg += "This is likely because the optimizer has not been called/built yet."
            warnings.warn(msg, stacklevel=2)
            return
        for i, var in enumerate(variables):
            var.assign(store[str(i)])

    def finalize_variable_values(self, var_list):
        """Called by ``fit`` when it ends: with ``use_ema``, the variables of ``var_list``
        take their moving averages; otherwise nothing changes."""
        if not self.use_ema:
            return
        if not self.built:
            raise ValueError(
                f"{type(self).__name__}.finalize_variable_values: the optimizer has not been "
                "built yet, so it has no moving averages. Call "
                "`optimizer.build(trainable_variables)` (or train) first.")
        self._overwrite_model_variables_with_average_value(var_list)

    # -- config ----------------------------------------------------------------------------------
    def get_config(self):
        from ember.optimizers.schedules import LearningRateSchedule

        lr = self._learning_rate
        if isinstance(lr, Variable):
            learning_rate = float(lr.data)
        elif isinstance(lr, LearningRateSchedule):
            learning_rate = registry.serialize(lr)
        else:
            learning_rate = registry.serialize(lr)
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = registry.deserialize(
                config["learning_rate"], custom_objects=custom_objects, kind="schedule")
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} iterations={int(self._iterations)}>"


class _Flat:
    """The flat buffers of an optimizer built in flat mode; ``segments`` holds each variable's
    1-D slices ``(params, [slots...])`` for the fused kernels."""

    __slots__ = ("params", "grad", "slots", "scratch", "views", "grad_views", "offsets",
                 "segments")

    def __init__(self, params, grad, slots, scratch, views, grad_views, offsets):
        self.params, self.grad, self.slots, self.scratch = params, grad, slots, scratch
        self.views, self.grad_views, self.offsets = views, grad_views, offsets
        self.segments = [(params[a:b], [s[a:b] for s in slots])
                         for a, b in zip(offsets, offsets[1:])]


def _decay(p, factor, scratch):
    """``p -= p * factor`` in place (Keras's ``v - v * weight_decay * lr``)."""
    xp.multiply(p, factor, out=scratch)
    p -= scratch


# Slots that decay geometrically (Adam's momentum shrinks by beta_1 each step its gradient is
# zero, as for a rarely active input pixel) would otherwise reach the subnormal range, where
# every arithmetic operation on them is ~50x slower on x86 (a 5x slower Adam step was measured).
# TensorFlow runs with flush-to-zero for the same reason; NumPy cannot set that flag, so every
# FLUSH_EVERY steps the values below FLUSH_BELOW are set to zero. Such a value is far below
# anything that can change a float32 weight, and at decay 0.9 a value needs ~170 steps to fall
# from FLUSH_BELOW into the subnormal range.
FLUSH_EVERY = 32
FLUSH_BELOW = 1e-30


def _flush_tiny(slots, scratch):
    for slot in slots:
        if slot.dtype.kind != "f" or slot.ndim == 0 or slot.shape != scratch.shape:
            continue
        xp.abs(slot, out=scratch)
        xp.copyto(slot, 0, where=scratch < FLUSH_BELOW)


def _bad_gradient(variable, g):
    raise ValueError(
        f"Gradient for variable {variable.path!r} has shape {tuple(xp.shape(g))}; the variable "
        f"has shape {variable.shape}. They must match.")
