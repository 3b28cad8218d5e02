"""BackupAndRestore: a training process killed with SIGKILL and started again resumes at the
saved epoch and batch and ends with the weights of an uninterrupted run; backups are always
complete; errors are clear."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

import ember
from ember.backend import np
from ember.callbacks import BackupAndRestore

SRC = os.path.join(os.path.dirname(__file__), "..", "..", "src")

# A deterministic fit (seeded; shuffling and dropout draw from ember's generator) that kills
# itself with SIGKILL before the global batch KILL_AT (counted from 1; 0: never).
SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    import ember
    from ember.backend import np

    backup, out, kill_at, save_freq, double = sys.argv[1:6]
    save_freq = save_freq if save_freq == "epoch" else int(save_freq)
    ember.utils.set_random_seed(7)
    rng = np.random.default_rng(0)
    x = rng.random((40, 4)).astype("float32")
    y = rng.random((40, 1)).astype("float32")
    model = ember.Sequential([ember.Input((4,)), ember.layers.Dense(8, activation="relu"),
                              ember.layers.Dropout(0.3), ember.layers.Dense(1)])
    model.compile(ember.optimizers.Adam(0.01), "mse")
    seen = []

    class Killer(ember.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

        def on_train_batch_begin(self, batch, logs=None):
            seen.append([self.epoch, batch])
            if len(seen) == int(kill_at):
                os.kill(os.getpid(), signal.SIGKILL)

    cbs = [BackupAndRestore(backup, save_freq=save_freq, double_checkpoint=double == "1"),
           Killer()] if backup != "-" else [Killer()]
    history = model.fit(x, y, batch_size=8, epochs=4, callbacks=cbs, verbose=0)
    json.dump({"seen": seen, "weights": [w.tolist() for w in model.get_weights()],
               "iterations": int(model.optimizer.iterations),
               "epochs": len(history.history["loss"])}, open(out, "w"))
""").replace("BackupAndRestore(", "ember.callbacks.BackupAndRestore(")


def _run(tmp_path, backup, kill_at, save_freq="epoch", double=False):
    script = tmp_path / "train.py"
    script.write_text(SCRIPT)
    out = tmp_path / "result.json"
    if out.exists():
        out.unlink()
    env = dict(os.environ, PYTHONPATH=os.path.abspath(SRC))
    proc = subprocess.run(
        [sys.executable, str(script), str(backup), str(out), str(kill_at), str(save_freq),
         "1" if double else "0"], env=env, capture_output=True, text=True, timeout=300)
    result = json.loads(out.read_text()) if out.exists() else None
    return proc, result


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    proc, result = _run(tmp_path_factory.mktemp("full"), "-", 0)
    assert proc.returncode == 0, proc.stderr
    assert result["iterations"] == 20 and result["epochs"] == 4  # 5 batches an epoch
    return result


@pytest.mark.parametrize("save_freq, double, kill_at, resume_at", [
    ("epoch", False, 12, [2, 0]),  # killed in epoch 2: epochs 0 and 1 were backed up
    (3, False, 8, [1, 1]),  # killed at epoch 1, batch 2: backed up after 6 batches
    (4, True, 15, [2, 2]),  # backed up after 12 batches (epoch 2, batch 2 next)
])
def test_a_killed_fit_resumes_where_its_backup_was(tmp_path, uninterrupted, save_freq, double,
                                                   kill_at, resume_at):
    backup = tmp_path / "backup"
    proc, result = _run(tmp_path, backup, kill_at, save_freq, double)
    assert proc.returncode == -signal.SIGKILL and result is None
    metadata = json.loads((backup / "training_metadata.json").read_text())
    assert [metadata["epoch"], metadata["batch"]] == resume_at
    assert os.path.exists(backup / metadata["weights"])
    assert os.path.exists(backup / "training_metadata.json.bkp") == double

    proc, result = _run(tmp_path, backup, 0, save_freq, double)
    assert proc.returncode == 0, proc.stderr
    assert result["seen"][0] == resume_at  # the first batch trained after the restart
    assert len(result["seen"]) == 20 - (resume_at[0] * 5 + resume_at[1])
    assert result["iterations"] == uninterrupted["iterations"]
    for ours, full in zip(result["weights"], uninterrupted["weights"]):
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(full))
    assert not backup.exists()  # deleted once fit ends


# -- in-process ----------------------------------------------------------------------------------
def _data():
    rng = np.random.default_rng(0)
    return rng.random((30, 3)).astype("float32"), rng.random((30, 1)).astype("float32")


def _model(seed=3):
    ember.utils.set_random_seed(seed)
    model = ember.Sequential([ember.Input((3,)), ember.layers.Dense(4, activation="tanh"),
                              ember.layers.Dense(1)])
    model.compile(ember.optimizers.SGD(0.1, momentum=0.9), "mse")
    return model


class Interrupt(ember.callbacks.Callback):
    def __init__(self, epoch, batch=None):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        if self.at == (epoch, None):
            raise RuntimeError("Interrupting!")

    def on_train_batch_begin(self, batch, logs=None):
        if self.at == (self.epoch, batch):
            raise RuntimeError("Interrupting!")


@pytest.mark.parametrize("save_freq, interrupt", [("epoch", (2, None)), (4, (2, 3))])
def test_resume_after_an_exception_matches_an_uninterrupted_fit(tmp_path, save_freq,
                                                                interrupt):
    x, y = _data()
    full = _model()
    full.fit(x, y, batch_size=8, epochs=4, verbose=0)

    model = _model()
    backup = BackupAndRestore(tmp_path / "b", save_freq=save_freq)
    with pytest.raises(RuntimeError, match="Interrupting"):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0,
                  callbacks=[backup, Interrupt(*interrupt)])
    assert (tmp_path / "b").exists()  # a fit that raised keeps its backup
    model = _model(seed=99)  # other initial weights: the backup replaces them
    history = model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 2  # epochs 2 and 3
    for a, b in zip(model.get_weights(), full.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    assert int(model.optimizer.iterations) == int(full.optimizer.iterations) == 16
    # the resume is used once: a later fit without a backup starts at epoch 0
    assert len(model.fit(x, y, epochs=2, verbose=0).history["loss"]) == 2


def test_keep_checkpoint_and_a_finished_run_trains_no_more(tmp_path):
    x, y = _data()
    model = _model()
    backup = BackupAndRestore(tmp_path / "b", delete_checkpoint=False)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    metadata = json.loads((tmp_path / "b" / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["batch"]) == (2, 0)
    before = [w.copy() for w in model.get_weights()]
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, callbacks=[backup])
    assert history.history == {}
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_backups_are_always_complete(tmp_path):
    """After each save the directory holds one weights file and the metadata naming it; a
    save that fails midway leaves the previous backup as it was."""
    x, y = _data()
    model = _model()
    backup = BackupAndRestore(tmp_path / "b")
    listings = []

    class Look(ember.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            listings.append(sorted(os.listdir(tmp_path / "b")))
            if epoch == 1:
                def broken(path, *args, **kwargs):
                    with open(path, "wb") as f:
                        f.write(b"half a file")
                    raise OSError("disk full")

                model.save_weights = broken

    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup, Look()])
    assert listings == [["backup-0.weights.h5", "training_metadata.json"],
                        ["backup-1.weights.h5", "training_metadata.json"]]
    del model.save_weights
    metadata = json.loads((tmp_path / "b" / "training_metadata.json").read_text())
    assert (metadata["epoch"], metadata["weights"]) == (2, "backup-1.weights.h5")
    fresh = _model(seed=5)
    history = fresh.fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 2


def test_double_checkpoint_falls_back_to_the_previous_backup(tmp_path):
    x, y = _data()
    model = _model()
    backup = BackupAndRestore(tmp_path / "b", double_checkpoint=True)
    with pytest.raises(RuntimeError):
        model.fit(x, y, batch_size=8, epochs=4, verbose=0,
                  callbacks=[backup, Interrupt(3)])
    names = sorted(os.listdir(tmp_path / "b"))
    assert names == ["backup-1.weights.h5", "backup-2.weights.h5", "training_metadata.json",
                     "training_metadata.json.bkp"]
    (tmp_path / "b" / "backup-2.weights.h5").write_bytes(b"corrupted")
    history = _model(seed=5).fit(x, y, batch_size=8, epochs=4, verbose=0, callbacks=[backup])
    assert len(history.history["loss"]) == 2  # from the previous backup: epoch 2


def test_an_unreadable_backup_is_an_error_naming_it(tmp_path):
    x, y = _data()
    model = _model()
    backup = BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, verbose=0, callbacks=[backup, Interrupt(2)])
    (tmp_path / "b" / "backup-1.weights.h5").write_bytes(b"corrupted")
    with pytest.raises(OSError, match="could not restore.*training_metadata.json"):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[backup])


def test_restoring_into_an_unbuilt_model_is_an_error(tmp_path):
    x, y = _data()
    backup = BackupAndRestore(tmp_path / "b")
    with pytest.raises(RuntimeError):
        _model().fit(x, y, epochs=3, verbose=0, callbacks=[backup, Interrupt(2)])
    unbuilt = ember.Sequential([ember.layers.Dense(1)])
    unbuilt.compile("sgd", "mse")
    with pytest.raises(ValueError, match="must be built"):
        unbuilt.fit(x, y, epochs=3, verbose=0, callbacks=[backup])
    # without a backup an unbuilt model trains
    unbuilt.fit(x, y, epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path / "c")])


@pytest.mark.parametrize("kwargs, match", [
    ({"backup_dir": ""}, "Empty `backup_dir`"),
    ({"backup_dir": None}, "Empty `backup_dir`"),
    ({"backup_dir": "b", "save_freq": "batch"}, "save_freq"),
    ({"backup_dir": "b", "save_freq": 0}, "save_freq"),
    ({"backup_dir": "b", "save_freq": True}, "save_freq"),
    ({"backup_dir": "b", "save_freq": 2.5}, "save_freq"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackupAndRestore(**kwargs)
