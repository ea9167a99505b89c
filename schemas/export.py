"""Export the JSON Schema of every pydantic model in schemas/{raw,tasks,records}.py.

    python -m schemas.export           # (re)write schemas/json/<Model>.schema.json
    python -m schemas.export --check   # exit 1 when a committed file is missing, stale or extra

Raw-table schemas also carry where the table comes from (`x-table`, `x-source-file`), its key
(`x-primary-key`) and its column order (`x-columns`), so the files document data/raw/ on their own.
"""
from __future__ import annotations

import argparse
import inspect
import sys
from pathlib import Path
from types import ModuleType

from pydantic import BaseModel

from common.io import dumps_json
from schemas import raw, records, tasks

MODULES: tuple[ModuleType, ...] = (raw, tasks, records)
JSON_DIR = Path(__file__).resolve().parent / "json"
SUFFIX = ".schema.json"


def exported_models() -> dict[str, type[BaseModel]]:
    """Public models defined (not imported) in MODULES that have fields, by class name."""
    models: dict[str, type[BaseModel]] = {}
    for module in MODULES:
        for name, obj in inspect.getmembers(module, inspect.isclass):
            if (issubclass(obj, BaseModel) and obj.__module__ == module.__name__
                    and not name.startswith("_") and obj.model_fields):
                if name in models:
                    raise ValueError(f"two models named {name}: rename one")
                models[name] = obj
    return dict(sorted(models.items()))


def schema_text(model: type[BaseModel]) -> str:
    schema = model.model_json_schema()
    if issubclass(model, raw.RawRow):
        schema |= {"x-table": model.table, "x-source-file": model.source_file,
                   "x-primary-key": list(model.primary_key), "x-columns": list(model.model_fields)}
    return dumps_json(schema)


def expected_files() -> dict[str, str]:
    return {f"{name}{SUFFIX}": schema_text(model) for name, model in exported_models().items()}


def stale_files(json_dir: Path = JSON_DIR) -> list[str]:
    """Files that differ from what the models give (missing, changed or no longer a model)."""
    expected = expected_files()
    present = {p.name for p in json_dir.glob(f"*{SUFFIX}")}
    changed = [n for n, text in expected.items()
               if n not in present or (json_dir / n).read_text(encoding="utf-8") != text]
    return sorted(changed + sorted(present - expected.keys()))


def write(json_dir: Path = JSON_DIR) -> list[str]:
    json_dir.mkdir(parents=True, exist_ok=True)
    expected = expected_files()
    for path in json_dir.glob(f"*{SUFFIX}"):
        if path.name not in expected:
            path.unlink()
    for name, text in expected.items():
        (json_dir / name).write_text(text, encoding="utf-8")
    return sorted(expected)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        if stale:
            print("out of date: " + ", ".join(stale) + "  (run: python -m schemas.export)", file=sys.stderr)
            return 1
        print(f"{len(expected_files())} schema files up to date")
        return 0
    names = write()
    print(f"wrote {len(names)} schema files to {JSON_DIR}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
