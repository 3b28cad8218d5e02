"""Rewrite tests/tf_surface_missing.txt from what ember.tf exposes now.

    python tests/tools/update_tf_surface.py          # rewrite the file, print the counts
    python tests/tools/update_tf_surface.py --check  # only print what would change
    python tests/tools/update_tf_surface.py --json PATH  # write the raw survey (for the test)

Needs /work/shared/specs/tensorflow-2.21-names.json (or EMBER_TF_NAMES pointing at a copy);
TensorFlow itself is not needed.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "src"))  # this checkout's ember, as pytest uses

import tf_surface  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", metavar="PATH", help="write the survey as JSON to PATH")
    parser.add_argument("--check", action="store_true", help="report changes, write nothing")
    args = parser.parse_args(argv)

    result = tf_surface.survey()
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=1, sort_keys=True))
        return 0
    listed = set(tf_surface.read_missing_file()) if tf_surface.MISSING_FILE.exists() else set()
    missing = set(tf_surface.missing_names(result))
    for name in sorted(missing - listed):
        print(f"+ {name}  ({result['names'][name]['reason']})")
    for name in sorted(listed - missing):
        print(f"- {name}")
    for line in tf_surface.summary_lines(result):
        print(line)
    for name in tf_surface.unexercised_names(result, tf_surface.test_sources()):
        print(f"present but used by no test: tf.{name}")
    for name, got in sorted(result["top_level_mismatch"].items()):
        print(f"`import ember as tf` gives another object for tf.{name}: {got}")
    if not args.check:
        tf_surface.MISSING_FILE.write_text(tf_surface.render_missing_file(result))
        print(f"wrote {tf_surface.MISSING_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
