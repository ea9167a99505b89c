"""Keep a finished run as a reference: `python -m stages.reference_run gemma-3-270m`.

Run it in the workspace of a whole pipeline run (e.g. right after the README's `dvc exp run -n
gemma-3-270m ...`); it writes `reports/reference_runs/<name>/` and prints which targets the run met.
Not a dvc.yaml stage: it records a run, it is not part of one.

When the default data changes after a run (new labels, new templates), the run no longer describes
it: `python -m stages.reference_run gemma-3-270m --mark-stale "why"` records that in the run folder
(`stale.json`, a banner in its README) for the default's current hashes, until the run is redone.
"""
from __future__ import annotations

import argparse
import json

from factory.reference_run import collect, mark_stale


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="folder name under reports/reference_runs/ (e.g. the base model's name)")
    parser.add_argument("--workspace", default=".", help="the run's repository root (default: here)")
    parser.add_argument("--out", default=None, help="folder of reference runs (default: <workspace>/reports/reference_runs)")
    parser.add_argument("--mark-stale", metavar="REASON", default=None,
                        help="do not collect: record that the default data changed since this committed run, and why")
    args = parser.parse_args()
    root = args.out or f"{args.workspace}/reports/reference_runs"
    if args.mark_stale is not None:
        record = mark_stale(f"{root}/{args.name}", args.workspace, args.mark_stale)
        print(json.dumps(record, indent=2))
        return
    result = collect(args.workspace, args.name, args.out)
    print(json.dumps(result["checks"], indent=2))
    print(f"reference run: {root}/{args.name}/ ({'all targets met' if result['all_met'] else 'targets NOT all met'})")


if __name__ == "__main__":
    main()
