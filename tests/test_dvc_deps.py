"""dvc.yaml's code deps are exactly the import closure of each stage's entry point.

A stage whose deps miss a module it imports lets `dvc status` say "up to date" over stale outputs;
a dep it never imports reruns it for nothing. The closure is computed statically (ast, imports at
any depth, including lazy ones inside functions) over the repo's own packages.
"""
from __future__ import annotations

import ast
import shlex
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("common", "factory", "schemas", "rewards", "stages")


def _module_file(module: str) -> Path | None:
    parts = module.split(".")
    if parts[0] not in PACKAGES:
        return None
    base = REPO.joinpath(*parts)
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    return None


def _package_inits(path: Path) -> list[Path]:
    """Importing a.b.c runs a/__init__.py and a/b/__init__.py first."""
    out, parent = [], path.parent
    while parent != REPO:
        if (parent / "__init__.py").is_file():
            out.append(parent / "__init__.py")
        parent = parent.parent
    return out


def _imports(path: Path) -> set[Path]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    rel = path.relative_to(REPO).with_suffix("")
    package = list(rel.parts[:-1])
    found: set[Path] = set()
    for node in ast.walk(tree):
        # a sibling script started as a subprocess (`Path(__file__).with_name("sandbox_worker.py")`)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(".py"):
            sibling = path.parent / node.value
            if "/" not in node.value and sibling.is_file():
                found.add(sibling)
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            names = [mod] + [f"{mod}.{a.name}" for a in node.names]
        for name in names:
            file = _module_file(name)
            if file is not None:
                found.add(file)
    return found


def _docstring_only(path: Path) -> bool:
    """A package marker with nothing but a docstring cannot change a stage's output: not a dep."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return all(isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant) for n in body)


def import_closure(entry: Path) -> set[Path]:
    """Repo files executed when `entry` runs: its imports, transitively, with package __init__s
    (docstring-only package markers left out)."""
    seen: set[Path] = set()
    todo = [entry, *_package_inits(entry)]
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for dep in _imports(path):
            todo.extend([dep, *_package_inits(dep)])
    return {p for p in seen if not (p.name == "__init__.py" and _docstring_only(p))}


def _stages() -> dict[str, dict]:
    spec = yaml.safe_load((REPO / "dvc.yaml").read_text(encoding="utf-8"))
    params = yaml.safe_load((REPO / "params.yaml").read_text(encoding="utf-8"))
    out = {}
    for name, stage in spec["stages"].items():
        if "foreach" in stage:  # `${prompts.counts}`: one stage per item (the first stands for all)
            path = stage["foreach"].removeprefix("${").removesuffix("}").split(".")
            items = params
            for part in path:
                items = items[part]
            # an empty list (`eval.endpoints: []`) still has its template checked, on a stand-in item
            first = next(iter(items), "example")
            first = str(first["name"]) if isinstance(first, dict) else str(first)
            text = yaml.safe_dump(stage["do"])
            for placeholder in ("${key}", "${item.name}", "${item}"):
                text = text.replace(placeholder, first)
            name, stage = f"{name}@{first}", yaml.safe_load(text)
        out[name] = stage
    return out


def _code_files(dep: str) -> set[Path]:
    path = REPO / dep
    if path.is_dir():
        return {p for p in path.rglob("*.py") if "__pycache__" not in p.parts}
    return {path} if path.suffix == ".py" else set()


def _entry(cmd: str) -> Path:
    argv = shlex.split(cmd)
    assert argv[:2] == ["python", "-m"], f"stage cmd must be `python -m stages.<name>`: {cmd}"
    file = _module_file(argv[2])
    assert file is not None, f"{argv[2]} is not a repo module"
    return file


def deps_problems(stage: dict) -> list[str]:
    closure = import_closure(_entry(stage["cmd"]))
    declared: dict[str, set[Path]] = {}
    for dep in stage.get("deps", []):
        if str(dep).split("/")[0] in PACKAGES:
            declared[dep] = _code_files(dep)
    covered = set().union(*declared.values()) if declared else set()
    problems = [f"missing dep {p.relative_to(REPO)}" for p in sorted(closure - covered)]
    for dep, files in declared.items():
        unused = sorted(files - closure)
        if unused:
            problems.append(f"dep {dep} holds files the stage never imports: "
                            + ", ".join(str(p.relative_to(REPO)) for p in unused))
    return problems


@pytest.mark.parametrize("name", sorted(_stages()))
def test_stage_deps_are_the_import_closure(name: str) -> None:
    problems = deps_problems(_stages()[name])
    assert not problems, f"dvc.yaml stage {name}:\n  " + "\n  ".join(problems)


def test_closure_sees_lazy_and_relative_imports(tmp_path: Path) -> None:
    """The closure follows an import written inside a function (the check must not miss lazy imports)."""
    closure = import_closure(REPO / "stages" / "score.py")
    assert REPO / "factory" / "scoring" / "benchmark.py" in closure
    assert REPO / "factory" / "__init__.py" not in closure  # a docstring-only marker
    assert REPO / "factory" / "config.py" in closure
