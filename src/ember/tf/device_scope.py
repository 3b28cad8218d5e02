"""``tf.device`` and ``tf.DeviceSpec``: device placement, which ember accepts and checks the
form of but ignores: every op runs on the host CPU."""

import contextlib
import re

_SPEC = re.compile(
    r"^(?:/job:(?P<job>[^/]+))?(?:/replica:(?P<replica>\d+))?(?:/task:(?P<task>\d+))?"
    r"(?:/(?:device:)?(?P<device_type>[A-Za-z_]+):(?P<device_index>\d+|\*))?$")


class DeviceSpec:
    """A parsed device name: ``job``, ``replica``, ``task``, ``device_type``,
    ``device_index``."""

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job, self.replica, self.task = job, replica, task
        self.device_type = device_type.upper() if device_type else None
        self.device_index = device_index

    @classmethod
    def from_string(cls, spec):
        """Parse ``"/job:localhost/device:GPU:0"``, ``"/CPU:0"``, ``"cpu:0"`` ... (ValueError
        for anything else)."""
        text = spec if spec.startswith("/") else "/" + spec
        match = _SPEC.match(text) if spec else None
        if match is None:
            raise ValueError(f"Unknown attribute {spec!r} is encountered while parsing the device "
                             f"spec: {spec!r}.")
        parts = match.groupdict()
        index = parts["device_index"]
        return cls(parts["job"], None if parts["replica"] is None else int(parts["replica"]),
                   None if parts["task"] is None else int(parts["task"]), parts["device_type"],
                   None if index in (None, "*") else int(index))

    def to_string(self):
        out = ""
        if self.job is not None:
            out += f"/job:{self.job}"
        if self.replica is not None:
            out += f"/replica:{self.replica}"
        if self.task is not None:
            out += f"/task:{self.task}"
        if self.device_type is not None:
            index = "*" if self.device_index is None else self.device_index
            out += f"/device:{self.device_type}:{index}"
        return out

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())

    def __repr__(self):
        return f"<DeviceSpec {self.to_string()!r}>"


@contextlib.contextmanager
def device(device_name):
    """``with tf.device("/GPU:0"):`` (or ``keras.device("cpu:0")``): the name is checked, and
    the ops inside run on the CPU as everywhere in ember."""
    if device_name is not None and not callable(device_name):
        DeviceSpec.from_string(str(device_name))
    yield
