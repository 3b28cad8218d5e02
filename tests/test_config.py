"""ember.config (``keras.config``): settings, switches and the debugging caps on fit."""

import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember
from ember import config, layers
from ember.saving import serialization_lib


@pytest.fixture
def restore_config():
    """Put every global that these tests change back as it was."""
    saved = {name: getattr(config, name) for name in (
        "_FLOATX", "_EPSILON", "_IMAGE_DATA_FORMAT", "_INTERACTIVE_LOGGING",
        "_TRACEBACK_FILTERING", "_FLASH_ATTENTION", "_DTYPE_POLICY", "_MAX_EPOCHS",
        "_MAX_STEPS_PER_EPOCH")}
    unsafe = serialization_lib._unsafe_everywhere
    yield
    for name, value in saved.items():
        setattr(config, name, value)
    serialization_lib._unsafe_everywhere = unsafe


def test_keras_names_are_the_config_module_functions():
    import ember.backend as backend

    assert ember.config is config
    for name in ("floatx", "set_floatx", "epsilon", "set_epsilon", "image_data_format",
                 "set_image_data_format"):
        assert getattr(backend, name) is getattr(config, name)
    assert ember.utils.enable_interactive_logging is config.enable_interactive_logging
    assert ember.utils.is_interactive_logging_enabled is config.is_interactive_logging_enabled


def test_backend_is_ember_and_set_backend_accepts_only_it():
    assert config.backend() == "ember" and ember.backend.backend() == "ember"
    config.set_backend("ember")
    for name in ("jax", "tensorflow", "foo"):
        with pytest.raises(ValueError, match=f"Unable to import backend : {name}.*'ember'"):
            config.set_backend(name)
    assert config.backend() == "ember"


def test_floatx_epsilon_and_data_format_setters_validate(restore_config):
    config.set_floatx("float64")
    assert config.floatx() == "float64"
    with pytest.raises(ValueError, match="Unknown `floatx` value: 'int32'"):
        config.set_floatx("int32")
    config.set_epsilon(1e-4)
    assert config.epsilon() == 1e-4
    config.set_image_data_format("channels_first")
    assert config.image_data_format() == "channels_first"
    with pytest.raises(ValueError, match="data_format.*Received: data_format='nchw'"):
        config.set_image_data_format("nchw")
    assert config.image_data_format() == "channels_first"


def test_dtype_policy_defaults_to_floatx_and_can_be_set(restore_config):
    from ember.dtype_policies import DTypePolicy

    assert config.dtype_policy() == DTypePolicy("float32")
    config.set_floatx("float64")
    assert config.dtype_policy().name == "float64"  # follows floatx until set
    config.set_dtype_policy("mixed_float16")
    policy = config.dtype_policy()
    assert (policy.compute_dtype, policy.variable_dtype) == ("float16", "float32")
    config.set_dtype_policy(DTypePolicy("bfloat16"))
    assert config.dtype_policy().name == "bfloat16"
    assert ember.dtype_policies.get(None) is config.dtype_policy()
    for bad in (None, 3):
        with pytest.raises(ValueError, match="Invalid `policy` argument"):
            config.set_dtype_policy(bad)
    with pytest.raises(ValueError, match="Cannot convert 'nope'"):
        config.set_dtype_policy("nope")


@pytest.mark.parametrize("flag", ["interactive_logging", "traceback_filtering"])
def test_on_off_switches(flag, restore_config):
    enable, disable = getattr(config, f"enable_{flag}"), getattr(config, f"disable_{flag}")
    is_enabled = getattr(config, f"is_{flag}_enabled")
    assert is_enabled() is True
    disable()
    assert is_enabled() is False
    enable()
    assert is_enabled() is True


def test_flash_attention_flag_is_tristate_and_the_op_still_refuses_it(restore_config):
    assert config.is_flash_attention_enabled() is None
    config.enable_flash_attention()
    assert config.is_flash_attention_enabled() is True
    config.disable_flash_attention()
    assert config.is_flash_attention_enabled() is False
    q = np.ones((1, 2, 1, 4), "float32")
    with pytest.raises(ValueError, match="flash_attention"):
        ember.ops.dot_product_attention(q, q, q, flash_attention=True)


# -- interactive logging ---------------------------------------------------------------------
def _fit_quietly(model, **kwargs):
    x = np.ones((20, 2), "float32")
    return model.fit(x, x[:, :1], batch_size=10, **kwargs)


def _model():
    model = ember.Sequential([layers.Input((2,)), layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_disabled_interactive_logging_sends_progress_to_logging(capsys, caplog,
                                                                restore_config):
    config.disable_interactive_logging()
    with caplog.at_level(logging.INFO, logger="ember"):
        _fit_quietly(_model(), epochs=2, verbose=1)
    assert capsys.readouterr().out == ""
    messages = [r.getMessage() for r in caplog.records if r.name == "ember"]
    assert messages[0] == "Epoch 1/2" and "Epoch 2/2" in messages
    bars = [m for m in messages if "2/2" in m and "loss" in m]
    assert len(bars) == 2 and not any(m.endswith("\n") or "\r" in m for m in messages)


def test_enabled_interactive_logging_prints_to_stdout(capsys, caplog, restore_config):
    with caplog.at_level(logging.INFO, logger="ember"):
        _fit_quietly(_model(), epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2\n" in out and "Epoch 2/2\n" in out and "loss" in out
    assert not [r for r in caplog.records if r.name == "ember"]


# -- unsafe deserialization ----------------------------------------------------------------------
def test_enable_unsafe_deserialization_wins_over_safe_mode(restore_config):
    cfg = layers.Lambda(lambda x: x * 3.0, name="triple").get_config()
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.Lambda.from_config(cfg)
    config.enable_unsafe_deserialization()
    assert serialization_lib.in_safe_mode() is False
    with pytest.warns(UserWarning, match="runs Python bytecode"):
        layer = serialization_lib.deserialize_keras_object(
            {"class_name": "Lambda", "config": cfg, "module": "keras.layers"}, safe_mode=True)
    np.testing.assert_allclose(np.asarray(layer(np.ones((1, 2), "float32"))), 3.0)


def test_enable_unsafe_deserialization_loads_a_lambda_model(tmp_path, restore_config):
    model = ember.Sequential([layers.Input((2,)), layers.Lambda(lambda x: x + 1.0)])
    path = str(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.save(path)
    with pytest.raises(ValueError, match="safe_mode=False"):
        ember.saving.load_model(path)
    config.enable_unsafe_deserialization()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loaded = ember.saving.load_model(path)
    x = np.arange(4, dtype="float32").reshape(2, 2)
    np.testing.assert_allclose(np.asarray(loaded(x)), x + 1.0)


# -- max epochs / steps --------------------------------------------------------------------------
class _Count(ember.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.train, self.test, self.predict, self.epochs = 0, 0, 0, 0

    def on_train_batch_end(self, batch, logs=None):
        self.train += 1

    def on_test_batch_end(self, batch, logs=None):
        self.test += 1

    def on_predict_batch_end(self, batch, logs=None):
        self.predict += 1

    def on_epoch_end(self, epoch, logs=None):
        self.epochs += 1


def test_defaults_are_no_caps():
    assert config.max_epochs() is None and config.max_steps_per_epoch() is None


def test_max_epochs_and_steps_cap_fit_evaluate_and_predict(restore_config):
    x = np.ones((50, 2), "float32")
    y = np.ones((50, 1), "float32")
    model = _model()
    config.set_max_epochs(2)
    config.set_max_steps_per_epoch(3)
    count = _Count()
    with pytest.warns(UserWarning) as record:
        history = model.fit(x, y, batch_size=10, epochs=5, verbose=0, callbacks=[count],
                            validation_data=(x, y))
    messages = {str(w.message) for w in record}
    assert {"Limiting epochs to 2", "Limiting steps_per_epoch to 3"} <= messages
    assert (count.epochs, count.train, count.test) == (2, 2 * 3, 2 * 3)
    assert history.params["epochs"] == 2 and history.params["steps"] == 3
    count = _Count()
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 3"):
        model.evaluate(x, y, batch_size=10, verbose=0, callbacks=[count])
        out = model.predict(x, batch_size=10, verbose=0, callbacks=[count])
    assert (count.test, count.predict) == (3, 3) and out.shape == (30, 1)


def test_caps_do_not_lengthen_short_runs(restore_config):
    x = np.ones((20, 2), "float32")
    config.set_max_epochs(10)
    config.set_max_steps_per_epoch(10)
    count = _Count()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "Limiting" warning
        history = _model().fit(x, x[:, :1], batch_size=10, epochs=3, verbose=0,
                               callbacks=[count])
    assert (count.epochs, count.train) == (3, 3 * 2)
    assert history.params["steps"] == 2


def test_step_cap_applies_after_validation_split_and_to_generators(restore_config):
    x = np.ones((100, 2), "float32")
    config.set_max_steps_per_epoch(2)
    count = _Count()
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        _model().fit(x, x[:, :1], batch_size=10, epochs=1, verbose=0, validation_split=0.5,
                     callbacks=[count])
    assert (count.train, count.test) == (2, 2)

    def batches():
        while True:
            yield x[:10], x[:10, :1]

    count = _Count()
    with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
        _model().fit(batches(), epochs=2, verbose=0, callbacks=[count], shuffle=False)
    assert (count.epochs, count.train) == (2, 4)


def test_environment_variables_set_the_caps():
    code = "from ember import config; print(config.max_epochs(), config.max_steps_per_epoch())"
    env = dict(os.environ, KERAS_MAX_EPOCHS="3", KERAS_MAX_STEPS_PER_EPOCH="7")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == ["3", "7"]
