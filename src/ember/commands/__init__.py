"""Subcommands of the ``ember`` command line, one module each."""
