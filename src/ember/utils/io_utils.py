"""Where ember's messages go: stdout, or Python's ``logging`` when interactive logging is off
(``keras.config.disable_interactive_logging()``), as Keras's ``io_utils.print_msg``."""

import logging
import sys

from ember import config

logger = logging.getLogger("ember")


def print_msg(message, line_break=True):
    """Write ``message`` to stdout (with a line break unless ``line_break=False``), or log it at
    level INFO on the ``"ember"`` logger when interactive logging is disabled."""
    message = str(message)
    if config.is_interactive_logging_enabled():
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        logger.info(message.rstrip("\n"))
