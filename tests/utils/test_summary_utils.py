"""print_summary gives Keras 3's summary text (as rich draws it), character for character."""

import pytest

from ember.utils.summary_utils import (
    column_widths,
    format_shape,
    print_summary,
    readable_memory_size,
    summary_text,
)

TUTORIAL_ROWS = [
    ("flatten", "Flatten", (None, 784), 0, []),
    ("dense", "Dense", (None, 128), 100480, ["flatten[0][0]"]),
    ("dense_1", "Dense", (None, 10), 1290, ["dense[0][0]"]),
]

# What Keras 3 prints for the tutorial's network in an 80-column terminal (line length 76).
TUTORIAL_76 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
│ flatten (Flatten)               │ (None, 784)            │             0 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense (Dense)                   │ (None, 128)            │       100,480 │
├─────────────────────────────────┼────────────────────────┼───────────────┤
│ dense_1 (Dense)                 │ (None, 10)             │         1,290 │
└─────────────────────────────────┴────────────────────────┴───────────────┘
 Total params: 101,770 (397.54 KB)
 Trainable params: 101,770 (397.54 KB)
 Non-trainable params: 0 (0.00 B)
"""

# ... and in a wide terminal (line length 88).
TUTORIAL_88 = """\
Model: "sequential"
┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━┓
┃ Layer (type)                         ┃ Output Shape                ┃         Param # ┃
┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━┩
│ flatten (Flatten)                    │ (None, 784)                 │               0 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense (Dense)                        │ (None, 128)                 │         100,480 │
├──────────────────────────────────────┼─────────────────────────────┼─────────────────┤
│ dense_1 (Dense)                      │ (None, 10)                  │           1,290 │
└──────────────────────────────────────┴─────────────────────────────┴─────────────────┘
 Total params: 101,770 (397.54 KB)
 Trainable params: 101,770 (397.54 KB)
 Non-trainable params: 0 (0.00 B)
"""

# A functional model with connections, wrapped and cropped cells and optimizer parameters;
# checked against rich's rendering of Keras's table.
FUNCTIONAL_80 = """\
Model: "functional"
┏━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━┓
┃ Layer (type)          ┃ Output Shape      ┃     Param # ┃ Connected to       ┃
┡━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━┩
│ input_layer           │ (None, 8)         │           0 │ -                  │
│ (InputLayer)          │                   │             │                    │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ dense (Dense)         │ (None, 4)         │          36 │ input_layer[0][0]  │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ dense_1 (Dense)       │ (None, 4)         │          20 │ input_layer[0][0]  │
├───────────────────────┼───────────────────┼─────────────┼────────────────────┤
│ concatenate_with_a_v… │ (None, 8)         │           0 │ dense[0][0],       │
│ (Concatenate)         │                   │             │ dense_1[0][0]      │
└───────────────────────┴───────────────────┴─────────────┴────────────────────┘
 Total params: 170 (680.00 B)
 Trainable params: 56 (224.00 B)
 Non-trainable params: 0 (0.00 B)
 Optimizer params: 114 (456.00 B)
"""


def test_tutorial_network_at_76_columns(capsys):
    print_summary("sequential", TUTORIAL_ROWS, 101770, 0, line_length=76)
    assert capsys.readouterr().out == TUTORIAL_76


def test_default_line_length_follows_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    assert summary_text("sequential", TUTORIAL_ROWS, 101770, 0) == TUTORIAL_76
    monkeypatch.setenv("COLUMNS", "200")
    assert summary_text("sequential", TUTORIAL_ROWS, 101770, 0) == TUTORIAL_88


def test_print_fn_gets_the_whole_text_once():
    calls = []
    print_summary("sequential", TUTORIAL_ROWS, 101770, 0, line_length=88, print_fn=calls.append)
    assert calls == [TUTORIAL_88]


def test_functional_with_connections_wrapping_and_optimizer():
    rows = [
        ("input_layer", "InputLayer", (None, 8), 0, []),
        ("dense", "Dense", (None, 4), 36, ["input_layer[0][0]"]),
        ("dense_1", "Dense", (None, 4), 20, ["input_layer[0][0]"]),
        ("concatenate_with_a_very_long_name_indeed", "Concatenate", [(None, 8)], 0,
         ["dense[0][0]", "dense_1[0][0]"]),
    ]
    text = summary_text("functional", rows, 56, 0, 114, line_length=80, show_connections=True)
    assert text == FUNCTIONAL_80


def test_unbuilt_layer_and_unknown_shape():
    text = summary_text("sequential", [("dense", "Dense", None, None, [])], 0, 0, line_length=60)
    assert "│ dense (Dense)            │ ?                 │         0 │" in text
    assert "│                          │                   │ (unbuilt) │" in text


def test_memory_sizes():
    assert readable_memory_size(0) == "0.00 B"
    assert readable_memory_size(407080) == "397.54 KB"
    assert readable_memory_size(3 * 1024 ** 3) == "3.00 GB"
    text = summary_text("m", [], 10, 2, line_length=60, trainable_bytes=20, non_trainable_bytes=8)
    assert " Total params: 12 (28.00 B)\n" in text
    assert " Non-trainable params: 2 (8.00 B)\n" in text


def test_shapes():
    assert format_shape((None, 28, 28)) == "(None, 28, 28)"
    assert format_shape([(None, 3), (None, 4)]) == "[(None, 3), (None, 4)]"
    assert format_shape("(None, 2)") == "(None, 2)"


def test_column_width_arithmetic_and_errors():
    assert column_widths(76, [0.45, 0.80, 1.0]) == [33, 24, 15]
    assert column_widths(88, [0.45, 0.80, 1.0]) == [38, 29, 17]
    with pytest.raises(ValueError, match="Insufficient console width"):
        column_widths(8, [0.45, 0.80, 1.0])
    with pytest.raises(ValueError, match="positions must have 3 entries"):
        summary_text("m", [], 0, 0, positions=[0.5, 1.0])
