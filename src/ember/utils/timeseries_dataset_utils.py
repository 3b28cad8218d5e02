"""``keras.utils.timeseries_dataset_from_array``: sliding windows over an array as a Dataset."""

from ember.backend import np

_FN = "timeseries_dataset_from_array"


def _array(value):
    value = getattr(value, "data", value)  # an ember Tensor's host array
    return value if isinstance(value, np.ndarray) else np.asarray(value)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1,
                                  sampling_rate=1, batch_size=128, shuffle=False, seed=None,
                                  start_index=None, end_index=None, format="tf"):
    """A Dataset of windows of ``data[start_index:end_index]``: window ``i`` holds the
    ``sequence_length`` timesteps ``p, p + sampling_rate, ...`` from ``p = i *
    sequence_stride``, paired with ``targets[p]`` (the target of the window's first step)
    unless ``targets`` is None. Batches of ``batch_size`` (None: single windows); ``shuffle``
    draws the windows in a random order (seeded by ``seed``). Dtypes are kept."""
    data = _array(data)
    n = len(data)
    if start_index:
        if start_index < 0:
            raise ValueError(f"{_FN}: `start_index` must be 0 or greater. Received: "
                             f"start_index={start_index}")
        if start_index >= n:
            raise ValueError(f"{_FN}: `start_index` must be lower than the length of the data. "
                             f"Received: start_index={start_index}, for data of length {n}")
    if end_index:
        if start_index and end_index <= start_index:
            raise ValueError(f"{_FN}: `end_index` must be higher than `start_index`. Received: "
                             f"start_index={start_index}, and end_index={end_index}")
        if end_index >= n:
            raise ValueError(f"{_FN}: `end_index` must be lower than the length of the data. "
                             f"Received: end_index={end_index}, for data of length {n}")
        if end_index <= 0:
            raise ValueError(f"{_FN}: `end_index` must be higher than 0. Received: "
                             f"end_index={end_index}")
    for name, value in (("sampling_rate", sampling_rate), ("sequence_stride", sequence_stride)):
        if value <= 0:
            raise ValueError(f"{_FN}: `{name}` must be higher than 0. Received: {name}={value}")
        if value >= n:
            raise ValueError(f"{_FN}: `{name}` must be lower than the length of the data. "
                             f"Received: {name}={value}, for data of length {n}")
    if format != "tf":
        raise ValueError(f"{_FN}: `format` should be 'tf' (ember returns its tf.data-style "
                         f"Dataset; 'grain' is not supported). Received: format={format!r}")
    from ember.tf.data import AUTOTUNE, Dataset

    start_index = start_index or 0
    end_index = end_index or n
    steps = data[start_index:end_index]
    num_seqs = end_index - start_index - (sequence_length - 1) * sampling_rate
    if targets is not None:
        targets = _array(targets)
        target_steps = targets[start_index:end_index]
        num_seqs = min(num_seqs, len(targets))
    index_dtype = "int32" if num_seqs < np.iinfo(np.int32).max else "int64"
    starts = np.arange(0, max(num_seqs, 0), sequence_stride, dtype=index_dtype)
    if shuffle:
        # Keras's first shuffle (of the start positions), then a buffer shuffle below
        if seed is None:
            seed = np.random.randint(1e6)
        np.random.RandomState(seed).shuffle(starts)
    offsets = np.arange(sequence_length, dtype=index_dtype) * sampling_rate

    def windows(positions):
        p = positions.data
        window = steps[p[..., None] + offsets]
        return window if targets is None else (window, target_steps[p])

    ds = Dataset.from_tensor_slices(starts)
    if shuffle:
        ds = ds.shuffle(buffer_size=batch_size * 8 if batch_size is not None else 1024, seed=seed)
    if batch_size is not None:
        # gather a whole batch of windows at once rather than window by window
        ds = ds.batch(batch_size)
    return ds.map(windows, num_parallel_calls=AUTOTUNE).prefetch(AUTOTUNE)
