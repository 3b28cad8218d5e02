"""The ``ember`` command line."""

import argparse
import sys


def build_parser():
    import ember

    parser = argparse.ArgumentParser(
        prog="ember", description="ember: a small, fast Keras for CPUs")
    parser.add_argument("--version", action="version", version=f"ember {ember.__version__}")
    sub = parser.add_subparsers(dest="command")
    _COMMANDS.clear()
    for name, (register, run) in _REGISTRY.items():
        p = sub.add_parser(name, help=register.__doc__)
        register(p)
        _COMMANDS[name] = run
    return parser


_REGISTRY = {}
_COMMANDS = {}


def command(name):
    """Register a subcommand: ``register(parser)`` adds arguments, ``run(args)`` returns the
    exit code."""

    def deco(register):
        def with_run(run):
            _REGISTRY[name] = (register, run)
            return run

        return with_run

    return deco


def _load_commands():
    # Each command module registers itself; a missing optional one simply adds no command.
    import importlib

    for module in ("ember.commands.demo", "ember.commands.serve", "ember.commands.export"):
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as e:
            if not e.name or not e.name.startswith("ember.commands"):
                raise


def main(argv=None):
    _load_commands()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 0
    return _COMMANDS[args.command](args) or 0


if __name__ == "__main__":
    # `python -m ember.cli`: run the copy that the command modules register into
    from ember.cli import main as _main

    sys.exit(_main())
