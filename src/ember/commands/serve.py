"""``ember serve``: serve models over TensorFlow Serving's REST API (needs ``ember[serve]``).

    ember serve --model_name mnist --model_base_path /models/mnist   # /models/mnist/1/model.keras
    ember serve mnist.keras                                          # name "mnist", version 1
"""

import argparse
import logging
import sys
from pathlib import Path

from ember.cli import command


def register(parser):
    """Serve a model over TensorFlow Serving's REST API (port 8501)."""
    parser.add_argument("model", nargs="?", metavar="MODEL",
                        help="a .keras file (served as version 1 of the model named after the "
                             "file) or a model base path (named after the directory)")
    parser.add_argument("--model_name", help="the model name in URLs (/v1/models/NAME)")
    parser.add_argument("--model_base_path",
                        help="a directory of numbered version directories, each holding a .keras "
                             "file; the highest version that loads is served")
    parser.add_argument("--port", "--rest_api_port", dest="port", type=int, default=8501)
    parser.add_argument("--host", default="127.0.0.1",
                        help="the address to listen on (0.0.0.0: every interface)")
    parser.add_argument("--batch_window_ms", type=float, default=2.0,
                        help="how long a request waits for concurrent ones to share its batch")
    parser.add_argument("--max_batch_size", type=int, default=64,
                        help="the most examples run through the model at once")
    parser.add_argument("--poll_seconds", "--file_system_poll_wait_seconds", dest="poll_seconds",
                        type=float, default=1.0,
                        help="how often the base path is looked at for new versions (0: never)")
    parser.add_argument("--max_body_bytes", type=int, default=16 * 1024 * 1024,
                        help="the largest request body accepted (413 beyond it)")
    parser.add_argument("--version_policy", choices=["latest", "all"], default="latest",
                        help="serve the highest version only (latest) or every version (all)")
    parser.add_argument("--version_label", action="append", default=[], metavar="LABEL=VERSION",
                        help="a version label for /labels/LABEL paths (repeatable)")
    parser.add_argument("--timeout_ms", "--rest_api_timeout_in_ms", dest="timeout_ms", type=int,
                        default=0, help="answer 504 to a prediction slower than this (0: no limit)")
    parser.add_argument("--enable_cors", "--rest_api_enable_cors_support", dest="enable_cors",
                        action="store_true", help="allow browser pages from any origin")
    parser.add_argument("--blas_threads", type=int, default=1,
                        help="BLAS threads for the model (default 1: small batches gain nothing "
                             "from more, and spinning BLAS threads starve the HTTP event loop; "
                             "raise it for big convnets; 0: BLAS's own setting). Needs "
                             "threadpoolctl (ember[fast])")
    parser.add_argument("--access_log", action="store_true", help="log every request")
    parser.add_argument("--log_level", default="info",
                        choices=["debug", "info", "warning", "error"])


def plan(args):
    """``(name, source, options)`` from the arguments.

    Raises:
        SystemExit: conflicting or missing arguments, or a path that does not exist.
    """
    from ember.serving import SingleFile, VersionDirectory

    if args.model and args.model_base_path:
        raise SystemExit("ember serve: give MODEL or --model_base_path, not both")
    target = args.model or args.model_base_path
    if not target:
        raise SystemExit("ember serve: give a .keras file, or --model_name and "
                         "--model_base_path (see ember serve --help)")
    path = Path(target).expanduser()
    if not path.exists():
        raise SystemExit(f"ember serve: {path} does not exist")
    if path.is_dir():
        source = VersionDirectory(path.resolve())
        default_name = path.resolve().name
    elif path.suffix == ".keras":
        source = SingleFile(path.resolve())
        default_name = path.stem
    else:
        raise SystemExit(f"ember serve: {path} is neither a .keras file nor a directory")
    name = args.model_name or default_name
    if "/" in name or ":" in name or not name:
        raise SystemExit(f"ember serve: invalid model name {name!r} (no '/' or ':')")
    labels = {}
    for item in args.version_label:
        label, sep, version = item.partition("=")
        if not sep or not label or not version.isdigit():
            raise SystemExit(f"ember serve: --version_label expects LABEL=VERSION, received "
                             f"{item!r}")
        labels[label] = int(version)
    if args.max_batch_size < 1:
        raise SystemExit("ember serve: --max_batch_size must be at least 1")
    if args.batch_window_ms < 0:
        raise SystemExit("ember serve: --batch_window_ms must be >= 0")
    if args.blas_threads < 0:
        raise SystemExit("ember serve: --blas_threads must be >= 0")
    if args.max_body_bytes < 1:
        raise SystemExit("ember serve: --max_body_bytes must be positive")
    options = {"version_policy": args.version_policy, "labels": labels,
               "batch_window_ms": args.batch_window_ms, "max_batch_size": args.max_batch_size}
    return name, source, options


@command("serve")(register)
def run(args):
    try:
        from ember.serving import ModelManager, ServingError, SingleFile, create_app
        from ember.serving import run as run_server
    except ImportError as e:
        print(f"ember serve needs the serve extra ({e.name} is missing): "
              "pip install 'ember[serve]'", file=sys.stderr)
        return 2
    name, source, options = plan(args)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("ember.serving")
    manager = ModelManager(poll_seconds=args.poll_seconds)
    served = manager.add(name, source, **options)
    served.poll()
    if not served.versions:
        if isinstance(source, SingleFile):
            try:
                error = served.status()[0].error_message
            except ServingError:
                error = "no such file"
            print(f"ember serve: cannot load {source.describe()}: {error}", file=sys.stderr)
            return 1
        log.warning("no version of model '%s' is loadable under %s yet; polling every %gs",
                    name, source.describe(), args.poll_seconds)
    app = create_app(manager, max_body_bytes=args.max_body_bytes,
                     enable_cors=args.enable_cors, timeout_ms=args.timeout_ms or None)
    log.info("serving model '%s' (versions %s) at http://%s:%d/v1/models/%s", name,
             served.versions or "none yet", args.host, args.port, name)
    from ember.backend import threads

    if args.blas_threads and not threads.available():
        log.info("threadpoolctl is not installed, so BLAS keeps its own thread count; "
                 "pip install threadpoolctl (or set OPENBLAS_NUM_THREADS=%d) for "
                 "--blas_threads", args.blas_threads)
    with threads.limit(args.blas_threads or None):
        run_server(app, host=args.host, port=args.port, log_level=args.log_level,
                   access_log=args.access_log)
    return 0


def main(argv=None):
    """``python -m ember.commands.serve``: the same as ``ember serve``."""
    parser = argparse.ArgumentParser(prog="ember serve")
    register(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
