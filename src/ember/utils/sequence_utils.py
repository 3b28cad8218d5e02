"""Sequence helpers of ``keras.utils``: ``pad_sequences``."""

from ember.backend import np

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Pads (and truncates) sequences of different lengths to one length, as Keras.

    Args:
        sequences: a list (or array) of sequences; each is a list, tuple, range or array whose
            items are scalars or arrays of one common shape.
        maxlen: the length of the result's second axis; the longest sequence's length when None.
        dtype: the result's dtype (``"int32"``). Use ``object`` for strings of any length: a
            NumPy string dtype holds strings up to its own width.
        padding: ``"pre"`` or ``"post"``: pad before or after each sequence.
        truncating: ``"pre"`` or ``"post"``: drop values from the start or the end of the
            sequences longer than ``maxlen``.
        value: the padding value (a string needs ``dtype=object`` or a string dtype).

    Returns:
        A NumPy array of shape ``(len(sequences), maxlen) + item_shape``.

    Raises:
        ValueError: ``sequences`` is not a list of sequences, items of different shapes, an
            unknown ``padding``/``truncating``, a negative ``maxlen``, or a string ``value`` for
            a non-string dtype.

    Example:
        >>> pad_sequences([[1, 2, 3], [4]], maxlen=2)
        array([[2, 3],
               [0, 4]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(
            f"pad_sequences: `sequences` must be iterable (a list of sequences). Received: "
            f"{sequences!r}")
    lengths = []
    for s in sequences:
        try:
            lengths.append(len(s))
        except TypeError:
            raise ValueError(
                "pad_sequences: `sequences` must be a list of iterables. Found non-iterable: "
                f"{s!r}") from None
    for arg, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(
                f'pad_sequences: {arg.capitalize()} type "{side}" not understood; expected '
                f'"pre" or "post".')
    if maxlen is None:
        if not lengths:
            raise ValueError(
                "pad_sequences: cannot infer `maxlen` from an empty list of sequences; pass "
                "`maxlen`.")
        maxlen = max(lengths)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, (int, np.integer)):
        raise TypeError(f"pad_sequences: `maxlen` must be an int or None. Received: {maxlen!r}")
    elif maxlen < 0:
        raise ValueError(f"pad_sequences: `maxlen` must be >= 0. Received: {maxlen}")
    maxlen = int(maxlen)

    kind = np.dtype(dtype).kind  # "U": a string dtype; "O": object
    if isinstance(value, str) and kind not in "UO":
        raise ValueError(
            f"pad_sequences: `dtype` {np.dtype(dtype)} is not compatible with `value`'s type: "
            f"{type(value)}\nYou should set `dtype=object` for variable length strings.")

    # The shape of one item (a scalar for token ids; a vector for sequences of vectors), taken
    # from the first non-empty sequence; every other sequence must match it.
    item_shape = ()
    for s, n in zip(sequences, lengths):
        if n:
            item_shape = np.asarray(s).shape[1:]
            break

    out = np.full((len(lengths), maxlen) + item_shape, value, dtype=dtype)
    if maxlen == 0:
        return out
    for i, (s, n) in enumerate(zip(sequences, lengths)):
        if not n:
            continue
        kept = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        try:
            kept = np.asarray(kept, dtype=dtype)
        except (TypeError, ValueError) as e:  # NumPy's own error type, with where it happened
            raise type(e)(
                f"pad_sequences: cannot convert the sequence at position {i} to dtype "
                f"{np.dtype(dtype)}: {e}") from e
        if kept.shape[1:] != item_shape:
            raise ValueError(
                f"pad_sequences: Shape of sample {kept.shape[1:]} of sequence at position {i} "
                f"is different from expected shape {item_shape}")
        if kept.ndim == 0:  # a string is not a sequence of items here
            raise TypeError(
                f"pad_sequences: the sequence at position {i} is a {type(s).__name__}, not a "
                f"sequence of items: {s!r}")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out


__all__ = ["pad_sequences"]
