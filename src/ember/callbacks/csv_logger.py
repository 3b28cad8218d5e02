"""``CSVLogger``: stream each epoch's results to a CSV file."""

import collections.abc
import csv
import os

from ember.callbacks.callback import Callback
from ember.registry import register


def _cell(value):
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and getattr(value, "ndim", 1) != 0:
        return f'"[{", ".join(map(str, value))}]"'
    return value


@register("callback")
class CSVLogger(Callback):
    """Writes one CSV row per epoch: ``epoch`` (from 0), then the logs' keys in sorted order.

    Args:
        filename: Path of the CSV file, e.g. ``"run/log.csv"``.
        separator: String separating the fields.
        append: True appends to an existing file (no second header); False overwrites it.

    Example:
        >>> csv_logger = CSVLogger("training.log")
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.sep = separator
        self.filename = os.fspath(filename)
        self.append = append
        self.writer = None
        self.keys = None
        self.append_header = True
        self.csv_file = None

    def on_train_begin(self, logs=None):
        self.append_header = True
        if self.append and os.path.exists(self.filename):
            with open(self.filename, encoding="utf-8") as f:
                self.append_header = not f.readline()
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="",
                             encoding="utf-8")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        if self.keys is None:
            self.keys = sorted(logs.keys())
            # a model that validates will log val_ metrics: keep their columns from the start
            try:
                expected = list(getattr(self.model, "metrics_names", None) or ())
            except (AttributeError, TypeError, ValueError, RuntimeError):
                expected = []
            for name in expected:
                if isinstance(name, str) and name.startswith("val_") and name not in self.keys:
                    self.keys.append(name)
        if self.csv_file is None:
            self.on_train_begin()
        if self.writer is None:
            sep = self.sep

            class Dialect(csv.excel):
                delimiter = sep

            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=Dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()
        self.writer = None
