"""``keras.utils.text_dataset_from_directory``: a Dataset of texts read from class folders."""

from ember.utils import dataset_utils

_FN = "text_dataset_from_directory"


def text_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None,
                                batch_size=32, max_length=None, shuffle=True, seed=None,
                                validation_split=None, subset=None, follow_links=False,
                                format="tf", verbose=True):
    """A Dataset of ``(texts, labels)`` batches from the ``.txt`` files in ``directory``, one
    subdirectory per class with ``labels='inferred'``.

    Texts are the files' bytes (``tf.string``: dtype object), cut to ``max_length`` bytes;
    labels as in ``image_dataset_from_directory``. The dataset has ``class_names``.
    ``subset='both'`` returns ``[train, validation]``."""
    if format != "tf":
        raise ValueError(f"{_FN}: `format` should be 'tf' (ember returns its tf.data-style "
                         f"Dataset; 'grain' is not supported). Received: format={format!r}")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 0):
        raise ValueError(f"{_FN}: `max_length` must be a non-negative integer or None. "
                         f"Received: max_length={max_length!r}")

    def load(path):
        with open(path, "rb") as f:
            text = f.read()
        return text if max_length is None else text[:max_length]

    return dataset_utils.dataset_from_directory(
        _FN, "text", directory, labels, label_mode, class_names, batch_size, shuffle, seed,
        validation_split, subset, follow_links, verbose, (".txt",), load)
