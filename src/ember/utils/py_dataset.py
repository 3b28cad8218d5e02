"""PyDataset: a dataset of batches indexed by position, as ``keras.utils.PyDataset``."""


class PyDataset:
    """Subclass and define ``__len__`` (the number of batches) and ``__getitem__(index)``
    (returning ``x``, ``(x, y)`` or ``(x, y, sample_weight)``); ``on_epoch_end`` is called after
    each epoch (shuffle there)."""

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        raise NotImplementedError

    def __len__(self):
        raise NotImplementedError

    def on_epoch_end(self):
        pass


Sequence = PyDataset
