"""TensorFlow's ``tf.config`` device functions. ``ember.config`` (Keras's ``keras.config``) serves
them too, so ``tf.config.list_physical_devices("GPU")`` works after ``import ember as tf``.

ember computes on the host CPU only: there is one physical and one logical device, ``CPU:0``.
"""

import types
from collections import namedtuple

PhysicalDevice = namedtuple("PhysicalDevice", ["name", "device_type"])
PhysicalDevice.__doc__ = "A physical device: ``name`` (``/physical_device:CPU:0``), type."
LogicalDevice = namedtuple("LogicalDevice", ["name", "device_type"])
LogicalDevice.__doc__ = "A logical device: ``name`` (``/device:CPU:0``), ``device_type``."

_CPU = PhysicalDevice("/physical_device:CPU:0", "CPU")
_VISIBLE = [_CPU]
_MEMORY_GROWTH = {}


def _check_type(device_type):
    if device_type is not None and not isinstance(device_type, str):
        raise TypeError(f"device_type must be a string such as 'CPU' or 'GPU'; got "
                        f"{device_type!r}")


def list_physical_devices(device_type=None):
    """The physical devices of ``device_type`` ("CPU", "GPU"; all when None): ember has one
    CPU and no GPU, so ``list_physical_devices("GPU")`` is empty."""
    _check_type(device_type)
    return [d for d in [_CPU] if device_type is None or d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    """The logical devices (one per visible physical device)."""
    return [LogicalDevice(d.name.replace("/physical_device:", "/device:"), d.device_type)
            for d in get_visible_devices(device_type)]


def get_visible_devices(device_type=None):
    _check_type(device_type)
    return [d for d in _VISIBLE if device_type is None or d.device_type == device_type.upper()]


def set_visible_devices(devices, device_type=None):
    """Restrict the visible devices; ember must keep its CPU (ValueError otherwise)."""
    devices = [devices] if isinstance(devices, PhysicalDevice) else list(devices)
    for d in devices:
        if d not in [_CPU]:
            raise ValueError(f"Unrecognized device: {d!r}")
    if device_type in (None, "CPU") and _CPU not in devices:
        raise ValueError("ember computes on the CPU; it cannot be hidden")


def set_memory_growth(device, enable):
    """Accepted and recorded; ember allocates host memory as it goes, so it changes nothing."""
    if device not in [_CPU]:
        raise ValueError(f"Unrecognized device: {device!r}")
    _MEMORY_GROWTH[device] = bool(enable)


def get_memory_growth(device):
    if device not in [_CPU]:
        raise ValueError(f"Unrecognized device: {device!r}")
    return _MEMORY_GROWTH.get(device, False)


def get_device_details(device):
    return {}


experimental = types.ModuleType("ember.config.experimental",
                                "``tf.config.experimental``: device settings.")
for _f in (list_physical_devices, list_logical_devices, get_visible_devices,
           set_visible_devices, set_memory_growth, get_memory_growth, get_device_details):
    setattr(experimental, _f.__name__, _f)
del _f

TF_NAMES = ("PhysicalDevice", "LogicalDevice", "list_physical_devices", "list_logical_devices",
            "get_visible_devices", "set_visible_devices", "experimental")
