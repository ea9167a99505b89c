"""Keep a finished run as a reference: `python -m stages.reference_run gemma-3-270m`.

Run it in the workspace of a whole pipeline run (e.g. right after the README's `dvc exp run -n
gemma-3-270m ...`); it writes `reports/reference_runs/<name>/` and prints which targets the run met.
Not a dvc.yaml stage: it records a run, it is not part of one.
"""
from __future__ import annotations

import argparse
import json

from factory.reference_run import collect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="folder name under reports/reference_runs/ (e.g. the base model's name)")
    parser.add_argument("--workspace", default=".", help="the run's repository root (default: here)")
    parser.add_argument("--out", default=None, help="folder of reference runs (default: <workspace>/reports/reference_runs)")
    args = parser.parse_args()
    result = collect(args.workspace, args.name, args.out)
    print(json.dumps(result["checks"], indent=2))
    where = args.out or f"{args.workspace}/reports/reference_runs"
    print(f"reference run: {where}/{args.name}/ ({'all targets met' if result['all_met'] else 'targets NOT all met'})")


if __name__ == "__main__":
    main()
