"""The package layering holds: common <- schemas <- rewards <- factory <- stages.

`rewards/` runs inside TRL and the SQL sandbox and `schemas/` is the contract every layer reads, so
neither may pull in the factory (its heavy imports, its pipeline state); `common/` is the neutral
base and imports none of the others. Checked statically with ast, imports at any depth included
(a lazy import inside a function breaks the layering as much as a top-level one).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "common": {"factory", "stages", "schemas", "rewards"},
    "schemas": {"factory", "stages"},
    "rewards": {"factory", "stages"},
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) of every absolute import in the file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[0]) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module.split(".")[0]))
    return found


def layering_violations(package: str, root: Path = REPO) -> list[str]:
    forbidden = FORBIDDEN[package]
    return [f"{path.relative_to(root)}:{line} imports {top}"
            for path in sorted((root / package).rglob("*.py"))
            for line, top in imported_packages(path) if top in forbidden]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_lower_layers(package):
    assert (REPO / package / "__init__.py").is_file()
    assert layering_violations(package) == []


def test_checker_sees_lazy_and_nested_imports(tmp_path):
    """The check itself can fail: a function-local `from factory...` and an `import stages.x` are found."""
    pkg = tmp_path / "rewards"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("import json\nfrom rewards import base\n")
    (pkg / "sub" / "deep.py").write_text(
        "def f():\n    from factory.io import write_json\n    import stages.score as s\n    return s\n")
    assert layering_violations("rewards", tmp_path) == [
        "rewards/sub/deep.py:2 imports factory", "rewards/sub/deep.py:3 imports stages"]
