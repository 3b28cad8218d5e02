"""Keras's progress bar (``keras.utils.Progbar``): steps, ETA, time per step and metrics.

verbose=1 redraws one line in place (``\\r``) when stdout is a terminal or a notebook, at most
every ``interval`` seconds; when stdout is a file or a pipe it writes only the finished line, so
that logs hold one line per bar instead of thousands. verbose=2 writes one line when the bar is
finalized: ``469/469 - 3s - 6ms/step - accuracy: 0.9512 - loss: 0.1683``.
"""

import math
import os
import sys
import time

from ember.backend import np, to_numpy


def dynamic_display():
    """Whether stdout can redraw a line in place (a terminal, Jupyter or PyCharm's console).
    Never when interactive logging is off: messages then go to ``logging``, a line each."""
    from ember import config

    if not config.is_interactive_logging_enabled():
        return False
    stdout = sys.stdout
    isatty = getattr(stdout, "isatty", None)
    try:
        tty = bool(isatty and isatty())
    except ValueError:  # a closed stream
        tty = False
    return tty or "ipykernel" in sys.modules or "PYCHARM_HOSTED" in os.environ


def _to_float(value):
    """A Python float for a metric value (number, NumPy scalar or array, Tensor)."""
    if isinstance(value, float):
        return value
    if getattr(value, "ndim", 0) == 0:
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    return float(np.mean(to_numpy(value)))


def _write(message):
    from ember.utils.io_utils import print_msg

    print_msg(message, line_break=False)


class Progbar:
    """Displays a progress bar.

    Args:
        target: Total number of steps expected, None if unknown.
        width: Progress bar width on screen.
        verbose: Verbosity mode, 0 (silent), 1 (verbose), 2 (one line when finalized).
        interval: Minimum visual progress update interval (in seconds).
        stateful_metrics: Names of metrics that are displayed as given (not averaged over
            steps). All other metrics are averaged by the bar. Give at most one of
            ``stateful_metrics`` and ``stateless_metrics``.
        stateless_metrics: Names of metrics that are averaged by the bar; all others are
            displayed as given. ``stateless_metrics=()`` displays every value as given.
        unit_name: Display name for step counts (usually "step" or "sample").

    Example:
        >>> bar = Progbar(3, verbose=2)
        >>> for i in range(3):
        ...     bar.update(i + 1, [("loss", 1.0)])  # doctest: +ELLIPSIS
        3/3 - 0s - ... - loss: 1.0000
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step"):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Only one of `stateful_metrics` and `stateless_metrics` may be given. Received: "
                f"stateful_metrics={stateful_metrics}, stateless_metrics={stateless_metrics}")
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        if stateless_metrics is not None:
            self.stateful_metrics = None
            self.stateless_metrics = set(stateless_metrics)
        else:
            self.stateful_metrics = set(stateful_metrics or ())
            self.stateless_metrics = None
        self._dynamic_display = dynamic_display()
        self._seen_so_far = 0
        self._values = {}  # name -> [sum of value * steps, steps]
        self._values_order = []
        self._start = time.time()
        self._last_update = 0.0
        self._time_after_first_step = None
        self._prev_total_width = 0

    def _is_stateless(self, name):
        if self.stateless_metrics is not None:
            return name in self.stateless_metrics
        return name not in self.stateful_metrics

    def update(self, current, values=None, finalize=None):
        """Updates the progress bar.

        Args:
            current: Index of the current step (1 after the first step).
            values: List of tuples ``(name, value_for_last_step)``. Stateful metrics are shown
                as given; others are averaged over the steps seen.
            finalize: Whether this is the last update of the bar. Defaults to
                ``current >= self.target`` (never when the target is unknown).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if name not in self._values:
                self._values_order.append(name)
            try:
                value = _to_float(value)
            except (TypeError, ValueError):
                self._values[name] = value  # shown as text
                continue
            if self._is_stateless(name) and not finalize:
                base = max(current - self._seen_so_far, 1)
                entry = self._values.get(name)
                if isinstance(entry, list):
                    entry[0] += value * base
                    entry[1] += base
                else:
                    self._values[name] = [value * base, base]
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = time.time()
        time_per_unit = self._estimate_step_duration(current, now)
        if self.verbose == 1:
            if not finalize and (now - self._last_update < self.interval
                                 or not self._dynamic_display):
                return
            self._render_bar(current, now, time_per_unit, finalize)
        elif self.verbose == 2 and finalize:
            self._render_line(current, now, time_per_unit)
        self._last_update = now

    def add(self, n, values=None):
        """Advances the bar by ``n`` steps."""
        self.update(self._seen_so_far + n, values)

    # -- rendering -------------------------------------------------------------------------------
    def _render_bar(self, current, now, time_per_unit, finalize):
        special = 0  # characters of ANSI escapes, which take no room on screen
        if self.target is not None and self.target > 0:
            digits = int(math.log10(self.target)) + 1
            bar = f"\x1b[1m{current:{digits}d}/{self.target}\x1b[0m "
            special += 8
            done = int(self.width * float(current) / self.target)
            if done > 0:
                bar += f"\x1b[32m{'━' * done}\x1b[0m"
                special += 9
            bar += f"\x1b[37m{'━' * (self.width - done)}\x1b[0m"
            special += 9
        else:
            bar = f"{current:7d}/Unknown"
        if self.target is not None and self.target > 0 and not finalize:
            eta = time_per_unit * (self.target - current)
            if eta > 3600:
                eta_text = f"{int(eta // 3600)}:{int(eta % 3600 // 60):02d}:{int(eta % 60):02d}"
            elif eta > 60:
                eta_text = f"{int(eta // 60)}:{int(eta % 60):02d}"
            else:
                eta_text = f"{int(eta)}s"
            info = f" \x1b[1m{eta_text}\x1b[0m"
        else:
            info = f" \x1b[1m{now - self._start:.0f}s\x1b[0m"
        special += 8
        info += self._format_time(time_per_unit)
        info += self._format_values(abs_threshold=True)

        total_width = len(bar) + len(info) - special
        if self._dynamic_display:
            message = "\b" * self._prev_total_width + "\r" + bar + info
            if self._prev_total_width > total_width:
                message += " " * (self._prev_total_width - total_width)
        else:
            message = bar + info
        if finalize:
            message += "\n"
        _write(message)
        self._prev_total_width = total_width

    def _render_line(self, current, now, time_per_unit):
        if self.target is None or self.target <= 0:
            return
        digits = int(math.log10(self.target)) + 1
        info = f"{current:{digits}d}/{self.target} - {now - self._start:.0f}s"
        info += " -" + self._format_time(time_per_unit)
        info += self._format_values(abs_threshold=False)
        _write(info + "\n")

    def _format_values(self, abs_threshold):
        text = ""
        for name in self._values_order:
            entry = self._values[name]
            if not isinstance(entry, list):
                text += f" - {name}: {entry}"
                continue
            avg = entry[0] / max(1, entry[1])
            big = abs(avg) > 1e-3 if abs_threshold else avg > 1e-3
            text += f" - {name}: {avg:.4f}" if big else f" - {name}: {avg:.4e}"
        return text

    def _format_time(self, time_per_unit):
        if time_per_unit >= 1 or time_per_unit == 0:
            return f" {time_per_unit:.0f}s/{self.unit_name}"
        if time_per_unit >= 1e-3:
            return f" {time_per_unit * 1e3:.0f}ms/{self.unit_name}"
        return f" {time_per_unit * 1e6:.0f}us/{self.unit_name}"

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (often slow) once there are more."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_unit
