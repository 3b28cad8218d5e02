"""``ember export model.keras model.onnx``: a saved model as an ONNX file.

Loads the ``.keras`` file with ``ember.models.load_model`` and writes it with
``ember.export.to_onnx`` (opset 17 unless ``--opset``); ``--validate`` also runs the result with
ONNX Runtime and compares it with ember on random inputs.
"""

from ember.cli import command


def register(parser):
    """Export a saved .keras model to ONNX."""
    parser.add_argument("model", help="the saved model (.keras)")
    parser.add_argument("output", help="where to write the ONNX model (.onnx)")
    parser.add_argument("--opset", type=int, default=17,
                        help="the ai.onnx opset to target (17 or newer; default 17)")
    parser.add_argument("--validate", action="store_true",
                        help="compare ONNX Runtime with ember on random inputs (needs "
                             "onnxruntime)")


@command("export")(register)
def run(args):
    import os

    from ember.export import ExportError, to_onnx

    if not os.path.isfile(args.model):
        raise SystemExit(f"ember export: no such file: {args.model}")
    from ember.models import load_model

    try:
        model = load_model(args.model)
    except (ValueError, TypeError, OSError, KeyError) as e:
        raise SystemExit(f"ember export: cannot load {args.model}: {e}") from None
    try:
        proto = to_onnx(model, args.output, opset=args.opset, validate=args.validate)
    except ImportError as e:
        raise SystemExit(f"ember export: {e}") from None
    except (ExportError, ValueError) as e:
        raise SystemExit(f"ember export: {e}") from None
    g = proto.graph
    inputs = ", ".join(f"{i.name}{_shape(i)}" for i in g.input)
    outputs = ", ".join(f"{o.name}{_shape(o)}" for o in g.output)
    checked = "; outputs match ember (ONNX Runtime)" if args.validate else ""
    print(f"wrote {args.output}: ONNX opset {args.opset}, {len(g.node)} nodes, "
          f"inputs {inputs} -> outputs {outputs}{checked}")
    return 0


def _shape(value_info):
    dims = value_info.type.tensor_type.shape.dim
    return "[" + ", ".join(d.dim_param or str(d.dim_value) if (d.dim_param or d.dim_value)
                           else "?" for d in dims) + "]"
