"""Rewrite tests/keras_surface_missing.txt from what ember exposes now.

    python tests/tools/update_keras_surface.py          # rewrite the file, print the counts
    python tests/tools/update_keras_surface.py --check  # only print what would change
    python tests/tools/update_keras_surface.py --json PATH  # write the raw survey (for the test)

Needs Keras 3 with JAX installed (``pip install -e '.[dev]'``).
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))  # this checkout's ember, as pytest uses

import keras_surface  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the survey as JSON to PATH")
    parser.add_argument("--check", action="store_true", help="report changes, write nothing")
    args = parser.parse_args(argv)

    result = keras_surface.survey()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, sort_keys=True))
        return 0

    listed = set(keras_surface.read_missing_file()) if keras_surface.MISSING_FILE.exists() \
        else set()
    missing = set(keras_surface.missing_names(result))
    for name in sorted(missing - listed):
        print(f"+ {name}  ({result['names'][name]['reason']})")
    for name in sorted(listed - missing):
        print(f"- {name}")
    for line in keras_surface.summary_lines(result):
        print(line)
    for name, error in sorted(result["ember_broken_listings"].items()):
        print(f"ember lists {name} but it fails to load: {error}")
    if not args.check:
        keras_surface.MISSING_FILE.write_text(keras_surface.render_missing_file(result))
        print(f"wrote {keras_surface.MISSING_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
