"""The text of ``Model.summary()``: Keras 3's table, drawn as Keras draws it (with rich).

Keras 3 renders the summary with rich's table (heavy header box, a line between rows, one space
of padding per side, fixed column widths from ``positions``). This module reproduces that text
with the standard library only: the same column-width arithmetic, word wrapping and ellipsis
cropping, so that ember's summary matches Keras's character for character, without colours.
"""

import re
import shutil
import sys

# rich's HEAVY_HEAD box: top, header cells, header separator, body cells, row separator, bottom
_TOP = ("┏", "━", "┳", "┓")
_HEAD = ("┃", "┃", "┃")
_HEAD_SEP = ("┡", "━", "╇", "┩")
_CELL = ("│", "│", "│")
_ROW_SEP = ("├", "─", "┼", "┤")
_BOTTOM = ("└", "─", "┴", "┘")
_PADDING = 1  # spaces each side of a cell
_WORD = re.compile(r"\s*\S+\s*")
_TRAILING_SPACE = re.compile(r"\s+$")


def count_params(weights):
    """The number of scalars in ``weights`` (objects with a ``shape``)."""
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def readable_memory_size(size):
    """``407080`` -> ``'397.54 KB'`` (1024-based units, as Keras)."""
    units = ["B", "KB", "MB", "GB", "TB", "PB"]
    for unit in units:
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} {units[-1]}"


def format_shape(shape):
    """``(None, 784)`` for a shape, ``[(None, 3), (None, 4)]`` for several, ``?`` when unknown."""
    if shape is None:
        return "?"
    if isinstance(shape, str):
        return shape
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {format_shape(v)}" for k, v in shape.items()) + "}"
    if isinstance(shape, (list, tuple)) and shape and all(
            s is None or isinstance(s, (list, tuple, dict)) for s in shape):
        parts = [format_shape(s) for s in shape]
        if len(parts) == 1:
            return parts[0]
        inner = ", ".join(parts)
        return f"[{inner}]" if isinstance(shape, list) else f"({inner})"
    return "(" + ", ".join(str(None if d is None else int(d)) for d in shape) + ")"


def _divide_line(text, width):
    """Offsets at which to break ``text`` so that each piece fits ``width`` (rich's rule:
    words move to the next line whole; a word longer than a line stays alone and is cropped)."""
    breaks = []
    offset = 0
    for match in _WORD.finditer(text):
        start, word = match.start(), match.group(0)
        length = len(word.rstrip())
        if width - offset >= length:
            offset += len(word)
        elif length > width:
            if start:
                breaks.append(start)
            offset = len(word)
        elif offset and start:
            breaks.append(start)
            offset = len(word)
    return breaks


def _wrap(text, width, justify):
    """The lines of one cell, each exactly ``width`` characters."""
    lines = []
    for line in str(text).split("\n"):
        cuts = [0] + _divide_line(line, width) + [len(line)]
        for a, b in zip(cuts[:-1], cuts[1:]):
            piece = line[a:b]
            if len(piece) > width:  # drop trailing spaces beyond the width
                m = _TRAILING_SPACE.search(piece)
                if m:
                    piece = piece[:len(piece) - min(len(m.group(0)), len(piece) - width)]
            piece = piece.rstrip()
            if len(piece) > width:
                piece = piece[:max(width - 1, 0)] + "…" if width > 0 else ""
            if justify == "right":
                piece = piece.rjust(width)
            elif justify == "center":
                left = (width - len(piece)) // 2
                piece = (" " * left + piece).ljust(width)
            else:
                piece = piece.ljust(width)
            lines.append(piece)
    return lines


def _ratio_reduce(total, widths):
    """Take ``total`` off ``widths`` evenly, first columns first (rich's ratio_reduce)."""
    ratios = [1 if w else 0 for w in widths]
    total_ratio = sum(ratios)
    if not total_ratio:
        return list(widths)
    remaining = total
    out = []
    for ratio, w in zip(ratios, widths):
        if ratio and total_ratio > 0:
            taken = min(w, round(ratio * remaining / total_ratio))
            out.append(w - taken)
            remaining -= taken
            total_ratio -= ratio
        else:
            out.append(w)
    return out


def _ratio_distribute(total, widths):
    """Share ``total`` out in proportion to ``widths`` (rich's ratio_distribute)."""
    total_ratio = sum(widths)
    remaining = total
    out = []
    for w in widths:
        share = -(-w * remaining // total_ratio) if total_ratio > 0 else remaining
        out.append(share)
        total_ratio -= w
        remaining -= share
    return out


def column_widths(line_length, positions):
    """Widths of the columns, padding included, borders excluded, as rich lays out Keras's
    table of total width ``line_length``.

    Raises:
        ValueError: when a column would be narrower than 4 characters.
    """
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    widths = []
    current = 0
    for pos in positions:
        width = int(pos) - current
        if width < 4:
            raise ValueError(
                "Insufficient console width to print summary. Received: "
                f"line_length={line_length}, positions={list(positions)}")
        widths.append(width)
        current += width
    max_width = line_length - (len(widths) + 1)  # the vertical lines
    widths = [max(min(w + 2 * _PADDING, max_width), 0) or 1 for w in widths]
    total = sum(widths)
    if total > max_width:
        widths = _ratio_reduce(total - max_width, widths)
    elif total < max_width:
        widths = [w + p for w, p in zip(widths, _ratio_distribute(max_width - total, widths))]
    return widths


def _rule(chars, widths):
    left, fill, mid, right = chars
    return left + mid.join(fill * w for w in widths) + right


def _row(chars, widths, cells, justify, bottom=False):
    """The lines of one row; cells are aligned to the top (to the bottom for the header)."""
    left, mid, right = chars
    inner = [w - 2 * _PADDING for w in widths]
    wrapped = [_wrap(c, w, j) for c, w, j in zip(cells, inner, justify)]
    height = max(len(lines) for lines in wrapped)
    for lines, w in zip(wrapped, inner):
        blank = [" " * w] * (height - len(lines))
        if bottom:
            lines[:0] = blank
        else:
            lines.extend(blank)
    pad = " " * _PADDING
    return [left + mid.join(pad + lines[i] + pad for lines in wrapped) + right
            for i in range(height)]


def format_table(header, rows, widths, justify):
    """The lines of a rich-style table (heavy header, a rule between rows)."""
    lines = [_rule(_TOP, widths)]
    lines += _row(_HEAD, widths, header, justify, bottom=True)
    lines.append(_rule(_HEAD_SEP, widths))
    for i, row in enumerate(rows):
        if i:
            lines.append(_rule(_ROW_SEP, widths))
        lines += _row(_CELL, widths, row, justify)
    lines.append(_rule(_BOTTOM, widths))
    return lines


def _param_text(count):
    if count is None:
        return "0 (unbuilt)"
    if isinstance(count, str):
        return count
    return f"{int(count):,}"


def _connections_text(connected_to):
    if not connected_to:
        return "-"
    if isinstance(connected_to, str):
        return connected_to
    return ", ".join(str(c) for c in connected_to)


def summary_text(model_name, rows, trainable_count, non_trainable_count, optimizer_count=None,
                 line_length=None, positions=None, show_connections=False, trainable_bytes=None,
                 non_trainable_bytes=None, optimizer_bytes=None):
    """The summary as one string (see :func:`print_summary` for the arguments)."""
    if show_connections:
        default_line_length = 108
        positions = positions or [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        justify = ["left", "left", "right", "left"]
    else:
        default_line_length = 88
        positions = positions or [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        justify = ["left", "left", "right"]
    if len(positions) != len(header):
        raise ValueError(
            f"positions must have {len(header)} entries (one per column: {', '.join(header)}). "
            f"Received: positions={list(positions)}")
    if line_length is None:
        line_length = min(default_line_length, shutil.get_terminal_size().columns - 4)
    widths = column_widths(line_length, positions)

    table_rows = []
    for row in rows:
        name, class_name, output_shape, params = row[:4]
        cells = [f"{name} ({class_name})", format_shape(output_shape), _param_text(params)]
        if show_connections:
            cells.append(_connections_text(row[4] if len(row) > 4 else None))
        table_rows.append(cells)

    if trainable_bytes is None:
        trainable_bytes = 4 * trainable_count
    if non_trainable_bytes is None:
        non_trainable_bytes = 4 * non_trainable_count
    total_count = trainable_count + non_trainable_count + (optimizer_count or 0)
    total_bytes = trainable_bytes + non_trainable_bytes
    if optimizer_count is not None:
        if optimizer_bytes is None:
            optimizer_bytes = 4 * optimizer_count
        total_bytes += optimizer_bytes

    lines = [f'Model: "{model_name}"']
    lines += format_table(header, table_rows, widths, justify)
    lines.append(f" Total params: {total_count:,} ({readable_memory_size(total_bytes)})")
    lines.append(f" Trainable params: {trainable_count:,} "
                 f"({readable_memory_size(trainable_bytes)})")
    lines.append(f" Non-trainable params: {non_trainable_count:,} "
                 f"({readable_memory_size(non_trainable_bytes)})")
    if optimizer_count is not None:
        lines.append(f" Optimizer params: {optimizer_count:,} "
                     f"({readable_memory_size(optimizer_bytes)})")
    return "\n".join(lines) + "\n"


def print_summary(model_name, rows, trainable_count, non_trainable_count, optimizer_count=None,
                  line_length=None, positions=None, print_fn=None, show_connections=False, *,
                  trainable_bytes=None, non_trainable_bytes=None, optimizer_bytes=None):
    """Prints Keras 3's summary table of a model.

    Args:
        model_name: The model's name, shown as ``Model: "sequential"``.
        rows: One tuple per layer: ``(name, class_name, output_shape, param_count,
            connected_to)``. ``output_shape`` is a shape tuple (``(None, 784)``), a list of
            them, a ready string, or None (shown as ``?``); ``param_count`` None shows
            ``0 (unbuilt)``; ``connected_to`` is a list of strings such as
            ``"dense[0][0]"`` (shown only with ``show_connections``; ``-`` when empty).
        trainable_count: Number of trainable parameters.
        non_trainable_count: Number of non-trainable parameters.
        optimizer_count: Number of optimizer variables' scalars; None when the optimizer is
            not built (the line is then left out, as Keras).
        line_length: Total width of the table; defaults to 88 (108 with connections), at most
            the terminal's width minus 4, as Keras.
        positions: Right edges of the columns as fractions of ``line_length`` (or absolute
            positions when the last one is above 1). Defaults to Keras's.
        print_fn: Called once with the whole text (which ends with a newline), as Keras 3
            does; by default the text is written to stdout.
        show_connections: Adds Keras's ``Connected to`` column (non-sequential models).
        trainable_bytes, non_trainable_bytes, optimizer_bytes: Memory sizes in bytes; by
            default 4 bytes (float32) per parameter.

    Example:
        >>> print_summary("tiny", [("dense", "Dense", (None, 2), 6, [])], 6, 0,
        ...               line_length=50)
        Model: "tiny"
        ┏━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
        ┃ Layer (type)        ┃ Output Shape   ┃ Param # ┃
        ┡━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
        │ dense (Dense)       │ (None, 2)      │       6 │
        └─────────────────────┴────────────────┴─────────┘
         Total params: 6 (24.00 B)
         Trainable params: 6 (24.00 B)
         Non-trainable params: 0 (0.00 B)
    """
    text = summary_text(
        model_name, rows, trainable_count, non_trainable_count, optimizer_count=optimizer_count,
        line_length=line_length, positions=positions, show_connections=show_connections,
        trainable_bytes=trainable_bytes, non_trainable_bytes=non_trainable_bytes,
        optimizer_bytes=optimizer_bytes)
    if print_fn is not None:
        print_fn(text)
    else:
        sys.stdout.write(text)
        sys.stdout.flush()
