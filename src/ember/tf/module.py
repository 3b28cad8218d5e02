"""``tf.Module`` and ``tf.name_scope``.

A Module finds its state by looking at its attributes when asked, as TensorFlow's does: Variables,
other Modules and Keras layers/models held directly or inside lists, tuples and dicts. The order
is TensorFlow's: a module's own attributes sorted by name (dict entries sorted by key, sequences
in order), its own leaves first, then each sub-module's, depth first; every object once.

Difference from TensorFlow 2.21: there, Keras 3 layers are not ``tf.Module``s, so a Module holding
a Keras layer does not list the layer's variables. ember lists them (in the layer's Keras order:
trainable, then non-trainable), as ``tf.keras`` 2 did, so that ``module.trainable_variables``
holds everything that a training loop must update.
"""

import functools
import re
import threading

from ember import registry
from ember.autodiff.tensor import Variable

_scopes = threading.local()  # the stack of entered name scopes (full names ending with "/")


def _current_scope():
    stack = getattr(_scopes, "stack", None)
    return stack[-1] if stack else ""


class name_scope:  # noqa: N801 - TensorFlow's name
    """``tf.name_scope(name)``: a context manager that prefixes ``name + "/"`` to the names
    of scopes opened inside it. Entering returns the full scope name (``"outer/inner/"``); a
    name that ends with ``"/"`` is absolute, and ``""`` returns to the root.

    In ember scopes name modules (``Module.name_scope``); variables keep the names they are
    given (TensorFlow also prefixes the names of variables created inside a scope).
    """

    def __init__(self, name):
        if not isinstance(name, str):
            raise ValueError("name for name_scope must be a string.")
        self._name = name
        self._entered = []

    @property
    def name(self):
        return self._name

    def _full_name(self):
        if not self._name or self._name.endswith("/"):
            return self._name
        return f"{_current_scope()}{self._name}/"

    def __enter__(self):
        full = self._full_name()
        stack = getattr(_scopes, "stack", None)
        if stack is None:
            stack = _scopes.stack = []
        stack.append(full)
        self._entered.append(len(stack))
        return full

    def __exit__(self, *exc):
        depth = self._entered.pop()
        del _scopes.stack[depth - 1:]
        return False


class _ModuleScope(name_scope):
    """A Module's scope: its full name is fixed when the module is created."""

    def __init__(self, full_name):
        super().__init__(full_name)

    def _full_name(self):
        return self._name


_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class Module:
    """``tf.Module``: a named container of state (Variables and sub-modules).

    Args:
        name: a valid Python identifier; defaults to the class name in snake case
            (``MyModel`` -> ``"my_model"``).

    Attributes assigned on the module (directly or inside lists, tuples and dicts) are found
    by ``variables``, ``trainable_variables``, ``non_trainable_variables`` and ``submodules``.
    ``tf.train.Checkpoint`` and ``tf.saved_model.save`` save the same state.
    """

    # attribute names never searched for state (a subclass may extend the set, as in TF)
    _TF_MODULE_IGNORED_PROPERTIES = frozenset(("_name", "_name_scope"))

    def __init__(self, name=None):
        if name is None:
            name = registry.to_snake_case(type(self).__name__)
        elif not isinstance(name, str):
            raise TypeError(f"expected string or bytes-like object, got "
                            f"'{type(name).__name__}'")
        if not _VALID_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid module name. Module names must be valid "
                             "Python identifiers (e.g. a valid class name).")
        self._name = name
        with name_scope(name) as full:
            self._name_scope = _ModuleScope(full)

    @property
    def name(self):
        """The module's name (without its enclosing scopes)."""
        return self._name

    @property
    def name_scope(self):
        """The scope entered by ``with module.name_scope:`` (``.name`` is ``"outer/name/"``)."""
        return self._name_scope

    @property
    def variables(self):
        """Every Variable of this module and its sub-modules, each once (a tuple)."""
        return tuple(self._flatten(predicate=_is_variable))

    @property
    def trainable_variables(self):
        """The Variables with ``trainable=True`` (a tuple, in ``variables`` order)."""
        return tuple(self._flatten(predicate=lambda v: _is_variable(v) and v.trainable))

    @property
    def non_trainable_variables(self):
        """The Variables with ``trainable=False`` (a tuple, in ``variables`` order)."""
        return tuple(self._flatten(predicate=lambda v: _is_variable(v) and not v.trainable))

    @property
    def submodules(self):
        """Every Module (and Keras layer) reachable from this one, each once (a tuple)."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, with_path=False):
        """The values under this module that satisfy ``predicate`` (all of them by default),
        or ``(path, value)`` pairs with ``with_path=True``; paths are tuples of attribute names,
        indices and keys."""
        predicate = predicate or (lambda _: True)
        seen = {id(self)}
        for path, value in _walk(self, (), recursive, seen):
            if predicate(value):
                yield (path, value) if with_path else value

    @classmethod
    def with_name_scope(cls, method):
        """Decorator: run ``method`` inside the module's ``name_scope``."""

        @functools.wraps(method)
        def wrapped(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)

        return wrapped

    def __repr__(self):
        return f"<{type(self).__module__}.{type(self).__name__} object name={self._name!r}>"


def _is_variable(value):
    return isinstance(value, Variable)


def _is_keras_layer(value):
    from ember.layers.layer import Layer

    return isinstance(value, Layer)


def _is_module(value):
    return isinstance(value, Module) or _is_keras_layer(value)


def attributes(obj):
    """``(name, value)`` for the attributes of a Module in which state is searched, sorted."""
    ignored = getattr(obj, "_TF_MODULE_IGNORED_PROPERTIES", ())
    return [(k, v) for k, v in sorted(vars(obj).items()) if k not in ignored]


def leaves(value, path):
    """``(path, leaf)`` for ``value`` and, when it is a list, tuple or dict, everything inside
    it (dict entries sorted by key)."""
    if isinstance(value, dict):
        try:
            keys = sorted(value)
        except TypeError as e:
            raise ValueError(f"Error processing property {path[-1]!r}: its dict keys cannot "
                             f"be sorted ({e}); use keys of one type.") from e
        for key in keys:
            yield from leaves(value[key], path + (key,))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from leaves(item, path + (i,))
    else:
        yield path, value


def _walk(module, prefix, recursive, seen):
    """TensorFlow's traversal: this module's leaves, then each sub-module's, depth first."""
    if _is_keras_layer(module):
        yield from _walk_layer(module, prefix, seen)
        return
    subs = []
    for name, value in attributes(module):
        for path, leaf in leaves(value, prefix + (name,)):
            if id(leaf) in seen:
                continue
            seen.add(id(leaf))
            yield path, leaf
            if _is_module(leaf):
                subs.append((path, leaf))
    if recursive:
        for path, sub in subs:
            yield from _walk(sub, path, recursive, seen)


def _walk_layer(layer, prefix, seen):
    """A Keras layer's sub-layers, then its variables (in Keras's order)."""
    for sub in layer._all_layers():
        if id(sub) not in seen:
            seen.add(id(sub))
            yield prefix + (sub.name,), sub
    for var in layer.weights:
        if id(var) not in seen:
            seen.add(id(var))
            yield prefix + (var.name,), var
