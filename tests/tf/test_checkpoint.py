"""tf.train.Checkpoint / CheckpointManager / latest_checkpoint.

Numbering, the state file and manager deletion follow what TensorFlow 2.21 was observed to do;
round trips restore exact values into fresh objects, and training resumed from a checkpoint
continues bit for bit as uninterrupted training.
"""

import json
import os

import pytest

import ember
from ember.backend import np
from ember.tf import errors, train
from ember.tf.module import Module
from ember.tf.train import Checkpoint, CheckpointManager, latest_checkpoint


def _files(d):
    return sorted(os.listdir(d))


# -- numbering, files, state ----------------------------------------------------------------------
def test_save_numbers_and_files_as_tensorflow(tmp_path):
    v = ember.Variable(1.0)
    ckpt = Checkpoint(v=v)
    prefix = str(tmp_path / "sub" / "ck")  # the directory is created, as TF does
    assert ckpt.save(prefix) == prefix + "-1"
    assert _files(tmp_path / "sub") == ["checkpoint", "ck-1.data-00000-of-00001", "ck-1.index"]
    assert (tmp_path / "sub" / "checkpoint").read_text() == (
        'model_checkpoint_path: "ck-1"\nall_model_checkpoint_paths: "ck-1"\n')
    assert ckpt.save(prefix) == prefix + "-2"
    assert int(ckpt.save_counter) == 2
    assert latest_checkpoint(tmp_path / "sub") == prefix + "-2"
    # write: exactly the prefix, no counter, state file untouched
    assert ckpt.write(str(tmp_path / "sub" / "w")) == str(tmp_path / "sub" / "w")
    assert latest_checkpoint(tmp_path / "sub") == prefix + "-2"
    assert latest_checkpoint(tmp_path / "missing") is None


def test_latest_checkpoint_none_when_files_are_gone(tmp_path):
    ckpt = Checkpoint(v=ember.Variable(1.0))
    path = ckpt.save(str(tmp_path / "ck"))
    os.remove(path + ".index")
    assert latest_checkpoint(tmp_path) is None


def test_keys_list_and_load_variable(tmp_path):
    class M(Module):
        def __init__(self):
            super().__init__()
            self.lst = [ember.Variable(1.0), {"k": ember.Variable(2.0)}]
            self._priv = ember.Variable(3.0)

    path = Checkpoint(mod=M()).write(str(tmp_path / "d"))
    # TensorFlow's keys for the same object (less its _CHECKPOINTABLE_OBJECT_GRAPH entry)
    assert train.list_variables(path) == [
        ("mod/_priv/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("mod/lst/0/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("mod/lst/1/k/.ATTRIBUTES/VARIABLE_VALUE", []),
        ("save_counter/.ATTRIBUTES/VARIABLE_VALUE", []),
    ]
    assert float(train.load_variable(path, "mod/lst/1/k/.ATTRIBUTES/VARIABLE_VALUE")) == 2.0
    with pytest.raises(errors.NotFoundError, match="Key nope not found in checkpoint"):
        train.load_variable(path, "nope")
    # a directory means its latest checkpoint; without one, NotFoundError
    with pytest.raises(errors.NotFoundError):
        train.list_variables(tmp_path)


def test_names_with_slashes_and_dots_are_escaped(tmp_path):
    m = Module()
    m.table = {"a/b": ember.Variable(1.0), "c.d": ember.Variable(2.0)}
    keys = [k for k, _ in train.list_variables(Checkpoint(m=m).write(str(tmp_path / "e")))]
    assert "m/table/a.Sb/.ATTRIBUTES/VARIABLE_VALUE" in keys
    assert "m/table/c..d/.ATTRIBUTES/VARIABLE_VALUE" in keys


# -- restore semantics ---------------------------------------------------------------------------
def test_restore_exact_values_and_status(tmp_path):
    rng = np.random.default_rng(0)
    a = Module()
    a.w = ember.Variable(rng.normal(size=(3, 2)).astype("float32"))
    a.sub = Module()
    a.sub.b = ember.Variable(rng.normal(size=(2,)).astype("float32"))
    v = ember.Variable(5, dtype="int64")
    path = Checkpoint(v=v, m=a).save(str(tmp_path / "ck"))

    b = Module()
    b.w = ember.Variable(np.zeros((3, 2), "float32"))
    b.sub = Module()
    b.sub.b = ember.Variable(np.zeros(2, "float32"))
    fresh = Checkpoint(v=ember.Variable(0, dtype="int64"), m=b)
    status = fresh.restore(path)
    assert status.assert_consumed() is status
    np.testing.assert_array_equal(b.w.numpy(), a.w.numpy())
    np.testing.assert_array_equal(b.sub.b.numpy(), a.sub.b.numpy())
    assert int(fresh.v) == 5 and int(fresh.save_counter) == 1
    # the counter continues from the restored value
    assert fresh.save(str(tmp_path / "ck")).endswith("ck-2")


def test_partial_restores(tmp_path):
    path = Checkpoint(v=ember.Variable(1.0), m=Module()).save(str(tmp_path / "ck"))
    # fewer objects than the checkpoint: existing ones matched, not everything consumed
    wide = str(tmp_path / "wide")
    src = Module()
    src.a, src.b = ember.Variable(1.0), ember.Variable(2.0)
    Checkpoint(m=src).write(wide)
    dst = Module()
    dst.a = ember.Variable(0.0)
    status = Checkpoint(m=dst).read(wide)
    status.assert_existing_objects_matched()
    assert float(dst.a) == 1.0
    with pytest.raises(AssertionError, match="Unresolved object in checkpoint"):
        status.assert_consumed()
    assert status.expect_partial() is status
    # more objects than the checkpoint: the new one is unmatched
    extra = Checkpoint(v=ember.Variable(5.0), w=ember.Variable(2.0))
    status = extra.restore(path)
    assert float(extra.v) == 1.0 and float(extra.w) == 2.0
    with pytest.raises(AssertionError, match="Found 1 Python objects that were not bound"):
        status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Found 1 Python objects"):
        status.assert_consumed()


def test_restore_none_initializes_from_scratch():
    status = Checkpoint(v=ember.Variable(1.0)).restore(None)
    assert status.expect_partial() is status
    with pytest.raises(AssertionError, match="No checkpoint specified"):
        status.assert_consumed()


def test_restore_errors(tmp_path):
    ckpt = Checkpoint(v=ember.Variable(1.0))
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files"):
        ckpt.restore(str(tmp_path / "nothere"))
    with pytest.raises(FileNotFoundError):  # NotFoundError is a FileNotFoundError
        ckpt.read(str(tmp_path / "nothere"))
    path = ckpt.save(str(tmp_path / "ck"))
    with pytest.raises(ValueError, match=r"incompatible tensor with shape \(\) .* shape \(2,\)"):
        Checkpoint(v=ember.Variable([1.0, 2.0])).restore(path)
    with pytest.raises(ValueError, match="checkpoint holds float32"):
        Checkpoint(v=ember.Variable(True)).restore(path)


def test_non_trackable_objects_are_refused():
    with pytest.raises(ValueError, match="expecting x to be a trackable object"):
        Checkpoint(x=1)
    with pytest.raises(ValueError, match="expecting x to be a trackable object"):
        Checkpoint(x=np.ones(3))
    ckpt = Checkpoint()
    with pytest.raises(ValueError, match="expecting y to be a trackable"):
        ckpt.y = "text"
    ckpt.z = ember.Variable(1.0)  # attributes added later are saved too
    assert ckpt.z is not None


def test_root_object_and_nested_checkpoints(tmp_path):
    model = Module()
    model.w = ember.Variable(3.0)
    path = Checkpoint(model).write(str(tmp_path / "r"))
    assert "w/.ATTRIBUTES/VARIABLE_VALUE" in dict(train.list_variables(path))
    # the guide's "fake" objects: a nested Checkpoint restores by the same keys
    net = Module()
    net.l1 = Module()
    net.l1.bias = ember.Variable(np.arange(5, dtype="float32"))
    saved = Checkpoint(net=net).save(str(tmp_path / "n"))
    to_restore = ember.Variable(np.zeros(5, "float32"))
    new_root = Checkpoint(net=Checkpoint(l1=Checkpoint(bias=to_restore)))
    new_root.restore(saved)
    np.testing.assert_array_equal(to_restore.numpy(), np.arange(5))


def test_objects_with_serialize_to_tensors(tmp_path):
    class Counter:
        def __init__(self, n):
            self.n = n

        def _serialize_to_tensors(self):
            return {"n": np.asarray(self.n, dtype="int64")}

        def _restore_from_tensors(self, tensors):
            self.n = int(tensors["n"])

    path = Checkpoint(it=Counter(7)).write(str(tmp_path / "c"))
    assert "it/.ATTRIBUTES/n" in dict(train.list_variables(path))
    fresh = Counter(0)
    Checkpoint(it=fresh).read(path).assert_consumed()
    assert fresh.n == 7


# -- Keras models and optimizers ------------------------------------------------------------------
def _make_model():
    return ember.Sequential([ember.Input((3,)), ember.layers.Dense(4),
                             ember.layers.BatchNormalization(), ember.layers.Dense(1)])


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")


def _step(model, opt, x, y):
    with ember.GradientTape() as tape:
        loss = ember.ops.mean((model(x, training=True) - y) ** 2)
    grads = tape.gradient(loss, model.trainable_variables)
    opt.apply_gradients(zip(grads, model.trainable_variables))


@pytest.mark.parametrize("make_opt", [lambda: ember.optimizers.Adam(1e-2),
                                      lambda: ember.optimizers.SGD(1e-2, momentum=0.9),
                                      lambda: ember.optimizers.RMSprop(1e-3)])
def test_training_resumes_identically_with_deferred_slot_restore(tmp_path, make_opt):
    """Train k steps, checkpoint, train m more; versus fresh objects restored from the
    checkpoint (optimizer not built yet: its slots are restored when it builds) + m steps."""
    x, y = _data()
    ember.utils.set_random_seed(1)
    model, opt = _make_model(), make_opt()
    for _ in range(3):
        _step(model, opt, x, y)
    path = Checkpoint(optimizer=opt, model=model).save(str(tmp_path / "ckpt"))
    for _ in range(2):
        _step(model, opt, x, y)
    expected = [v.numpy().copy() for v in model.variables + opt.variables]

    ember.utils.set_random_seed(2)  # different initial weights: everything must come back
    model2, opt2 = _make_model(), make_opt()
    ckpt2 = Checkpoint(optimizer=opt2, model=model2)
    status = ckpt2.restore(latest_checkpoint(tmp_path))
    assert latest_checkpoint(tmp_path) == path
    assert int(opt2.iterations) == 3  # restored at once, as TensorFlow
    status.assert_existing_objects_matched()
    with pytest.raises(AssertionError, match="Unresolved"):
        status.assert_consumed()  # slots wait for the optimizer to build
    for _ in range(2):
        _step(model2, opt2, x, y)
    status.assert_consumed()
    got = [v.numpy() for v in model2.variables + opt2.variables]
    assert len(got) == len(expected)
    for a, b in zip(expected, got):
        np.testing.assert_array_equal(a, b)


def test_dcgan_pattern_two_models_two_optimizers(tmp_path):
    x, y = _data()

    def build():
        g, d = _make_model(), _make_model()
        return g, d, ember.optimizers.Adam(1e-4), ember.optimizers.Adam(1e-4)

    g, d, go, do = build()
    for _ in range(2):
        _step(g, go, x, y)
        _step(d, do, x, y)
    ckpt = Checkpoint(generator_optimizer=go, discriminator_optimizer=do, generator=g,
                      discriminator=d)
    ckpt.save(str(tmp_path / "ckpt"))
    _step(g, go, x, y)
    _step(d, do, x, y)

    g2, d2, go2, do2 = build()
    Checkpoint(generator_optimizer=go2, discriminator_optimizer=do2, generator=g2,
               discriminator=d2).restore(latest_checkpoint(tmp_path))
    _step(g2, go2, x, y)
    _step(d2, do2, x, y)
    for m1, m2 in ((g, g2), (d, d2)):
        for a, b in zip(m1.variables, m2.variables):
            np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_unbuilt_keras_model_is_restored_when_built(tmp_path):
    model = ember.Sequential([ember.layers.Dense(3), ember.layers.Dense(1)])
    x = np.ones((2, 4), "float32")
    expected = model(x).numpy()
    path = Checkpoint(model=model).write(str(tmp_path / "m"))
    fresh = ember.Sequential([ember.layers.Dense(3), ember.layers.Dense(1)])
    status = Checkpoint(model=fresh).read(path)
    np.testing.assert_array_equal(fresh(x).numpy(), expected)  # first call sees the values
    status.assert_consumed()


def test_optimizer_shared_with_a_compiled_model_is_saved_once(tmp_path):
    model = _make_model()
    opt = ember.optimizers.Adam()
    model.compile(optimizer=opt, loss="mse")
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    keys = [k for k, _ in train.list_variables(
        Checkpoint(model=model, optimizer=opt).write(str(tmp_path / "c")))]
    # the shallower path wins: optimizer/vars/..., never model/optimizer/vars/...
    assert any(k.startswith("optimizer/vars/") for k in keys)
    assert not any(k.startswith("model/optimizer/") for k in keys)


# -- the manager ----------------------------------------------------------------------------------
def test_manager_keeps_the_newest_and_deletes_older(tmp_path):
    ckpt = Checkpoint(v=ember.Variable(1.0))
    d = tmp_path / "mgr"
    mgr = CheckpointManager(ckpt, str(d), max_to_keep=2)
    assert mgr.latest_checkpoint is None and mgr.checkpoints == []
    paths = [mgr.save() for _ in range(4)]
    assert paths == [str(d / f"ckpt-{i}") for i in range(1, 5)]
    assert mgr.checkpoints == [str(d / "ckpt-3"), str(d / "ckpt-4")]
    assert _files(d) == ["checkpoint", "ckpt-3.data-00000-of-00001", "ckpt-3.index",
                         "ckpt-4.data-00000-of-00001", "ckpt-4.index"]
    state = (d / "checkpoint").read_text().splitlines()
    assert state[:3] == ['model_checkpoint_path: "ckpt-4"', 'all_model_checkpoint_paths: "ckpt-3"',
                         'all_model_checkpoint_paths: "ckpt-4"']
    assert sum(line.startswith("all_model_checkpoint_timestamps") for line in state) == 2
    assert latest_checkpoint(d) == str(d / "ckpt-4")
    # a new manager picks up the directory; explicit numbers are used as given
    mgr2 = CheckpointManager(ckpt, str(d), max_to_keep=2)
    assert mgr2.checkpoints == mgr.checkpoints and mgr2.latest_checkpoint == str(d / "ckpt-4")
    assert mgr2.save(checkpoint_number=10) == str(d / "ckpt-10")
    assert mgr2.checkpoints == [str(d / "ckpt-4"), str(d / "ckpt-10")]
    assert mgr2.save(checkpoint_number=ember.Variable(11, dtype="int64")).endswith("ckpt-11")


def test_manager_names_interval_and_restore_or_initialize(tmp_path):
    step = ember.Variable(0, dtype="int64")
    ckpt = Checkpoint(step=step)
    mgr = CheckpointManager(ckpt, str(tmp_path), max_to_keep=None, checkpoint_name="model",
                            step_counter=step, checkpoint_interval=5)
    assert mgr.save().endswith("model-1")
    step.assign(3)
    assert mgr.save() is None  # fewer than 5 steps since the last save
    step.assign(5)
    assert mgr.save().endswith("model-2")
    assert len(mgr.checkpoints) == 2  # max_to_keep=None keeps all
    called = []
    empty = CheckpointManager(Checkpoint(v=ember.Variable(0.0)), str(tmp_path / "e"), 3,
                              init_fn=lambda: called.append(1))
    assert empty.restore_or_initialize() is None and called == [1]
    step.assign(42)
    ckpt.save(str(tmp_path / "model"))
    fresh_step = ember.Variable(0, dtype="int64")
    again = CheckpointManager(Checkpoint(step=fresh_step), str(tmp_path), max_to_keep=None)
    assert again.restore_or_initialize() == str(tmp_path / "model-3")
    assert int(fresh_step) == 42


def test_manager_errors():
    with pytest.raises(ValueError, match="Expected a positive integer or `None`"):
        CheckpointManager(Checkpoint(), "/tmp/x", max_to_keep=0)
    with pytest.raises(ValueError, match="`step_counter` should be passed"):
        CheckpointManager(Checkpoint(), "/tmp/x", 1, checkpoint_interval=3)
    with pytest.raises(TypeError, match="expects a tf.train.Checkpoint"):
        CheckpointManager(ember.Variable(1.0), "/tmp/x", 1)


# -- files: atomicity and hostile content --------------------------------------------------------
def test_interrupted_save_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    v = ember.Variable(1.0)
    ckpt = Checkpoint(v=v)
    first = ckpt.save(str(tmp_path / "ck"))
    before = _files(tmp_path)
    v.assign(2.0)

    def broken_savez(f, **arrays):
        f.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(train.xp, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        ckpt.write(first)  # rewriting the same prefix fails midway
    monkeypatch.undo()
    assert _files(tmp_path) == before  # no temporary or partial file left
    fresh = ember.Variable(0.0)
    Checkpoint(v=fresh).restore(first)
    assert float(fresh) == 1.0


def test_data_and_index_from_different_saves_are_refused(tmp_path):
    v = ember.Variable(1.0)
    a = Checkpoint(v=v).write(str(tmp_path / "a"))
    v.assign(2.0)
    b = Checkpoint(v=v).write(str(tmp_path / "b"))
    os.replace(b + ".data-00000-of-00001", a + ".data-00000-of-00001")  # as a crash could
    with pytest.raises(errors.DataLossError, match="different saves"):
        Checkpoint(v=ember.Variable(0.0)).restore(a)


def test_pickled_object_arrays_are_refused(tmp_path):
    v = ember.Variable(1.0)
    path = Checkpoint(v=v).write(str(tmp_path / "p"))
    index = json.loads(open(path + ".index").read())
    token = np.array(index["id"].encode("ascii"))
    evil = np.empty(1, dtype=object)
    evil[0] = {"runs": "code"}
    with np.load(path + ".data-00000-of-00001") as data:
        arrays = {name: data[name] for name in data.files}
    arrays[index["variables"]["v/.ATTRIBUTES/VARIABLE_VALUE"]["entry"]] = evil
    assert (arrays["__id__"] == token).all()
    np.savez(path + ".data-00000-of-00001", **arrays)
    os.replace(path + ".data-00000-of-00001.npz", path + ".data-00000-of-00001")
    with pytest.raises(ValueError, match="never unpickles"):
        Checkpoint(v=ember.Variable(0.0)).restore(path)


def test_corrupt_and_foreign_files(tmp_path):
    path = Checkpoint(v=ember.Variable(1.0)).write(str(tmp_path / "c"))
    with open(path + ".data-00000-of-00001", "r+b") as f:
        f.truncate(30)
    with pytest.raises(errors.DataLossError, match="not a readable checkpoint data file"):
        Checkpoint(v=ember.Variable(0.0)).restore(path)
    os.remove(path + ".data-00000-of-00001")
    with pytest.raises(errors.NotFoundError, match="incomplete"):
        Checkpoint(v=ember.Variable(0.0)).restore(path)
    (tmp_path / "tf.index").write_bytes(b"\x00\x01 TensorFlow's table format")
    with pytest.raises(errors.DataLossError, match="not an ember checkpoint index"):
        Checkpoint(v=ember.Variable(0.0)).restore(str(tmp_path / "tf"))
    (tmp_path / "j.index").write_text(json.dumps({"format": "other"}))
    with pytest.raises(errors.DataLossError, match="not an ember checkpoint index"):
        train.list_variables(str(tmp_path / "j"))


def test_unsaveable_dtype_is_refused(tmp_path):
    class Strings:
        def _serialize_to_tensors(self):
            arr = np.empty(1, dtype=object)
            arr[0] = object()
            return {"x": arr}

        def _restore_from_tensors(self, tensors):
            pass

    with pytest.raises(TypeError, match="never pickles"):
        Checkpoint(s=Strings()).write(str(tmp_path / "s"))
    assert not any(name.startswith("s.") for name in os.listdir(tmp_path))
