"""Stage check_params: validate all of params.yaml against factory.params before any stage reruns.

It depends on every key of params.yaml, so a typo such as `-S +train.max_stepz=5`, which no other
stage reads, still stops `dvc repro` within seconds, naming the key and the nearest valid one.
"""
from __future__ import annotations

import sys

from factory.config import PARAMS_FILE, load_params
from factory.params import ParamsError


def main() -> None:
    try:
        load_params()
    except ParamsError as exc:
        sys.exit(f"check_params: {exc}")
    print(f"check_params: {PARAMS_FILE} is valid")


if __name__ == "__main__":
    main()
