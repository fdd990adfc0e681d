"""The code's shape, checked: no import cycles (imports inside functions count), small files, the pure-PyTorch
trainer apart from Qt, the reading pipeline apart from Qt and torch, and every package installed by a plain
`pip install .`."""

import ast
import re

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, as a package (the test extra)
    import tomli as tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("trainer", "digitpad")
MAX_LINES = 320


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports_of(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Project modules `name` imports, anywhere in the file (module level or inside functions)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            bases = [alias.name for alias in node.names]
            names = []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - (node.level - 1)]
                base = ".".join(parent + ([node.module] if node.module else []))
            else:
                base = node.module
            bases, names = [base], [alias.name for alias in node.names]
        else:
            continue
        for base in bases:
            submodules = [f"{base}.{n}" for n in names if f"{base}.{n}" in known]
            if submodules:
                targets.update(submodules)
            if len(submodules) < len(names) or not names:
                while base and base not in known:
                    base = base.rpartition(".")[0]
                if base:
                    targets.add(base)
    targets.discard(name)
    return targets


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports_of(name, path, known) for name, path in known.items()}


def test_there_are_no_import_cycles():
    graph = import_graph()
    cycles, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_sees_imports_inside_functions(tmp_path):
    source = tmp_path / "m.py"
    source.write_text("def f():\n    from .engine import train\n")
    assert imports_of("trainer.checkpoint", source, modules()) == {"trainer.engine"}


@pytest.mark.parametrize("name, path", sorted(modules().items()))
def test_no_file_grows_past_a_few_hundred_lines(name, path):
    assert len(path.read_text().splitlines()) <= MAX_LINES, f"{path.relative_to(ROOT)}: split it by job"


def third_party_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            found.add(node.module.split(".")[0])
    return found


def test_the_trainer_never_imports_qt():
    for name, path in modules().items():
        if name.startswith("trainer"):
            assert "PySide6" not in third_party_imports(path), name


PURE = ("trainer.ink.", "trainer.verdicts", "trainer.personal_set", "digitpad.reading.reader")


def test_the_ink_pipeline_and_the_reader_need_neither_qt_nor_torch():
    pure = [name for name in modules() if name.startswith(PURE)]
    assert len(pure) >= 9
    for name in pure:
        assert not {"PySide6", "torch"} & third_party_imports(modules()[name]), name


def test_the_trainer_never_imports_the_app():
    for name, path in modules().items():
        if name.startswith("trainer"):
            assert not any(target.startswith("digitpad") for target in imports_of(name, path, modules())), name


def test_every_package_is_installed_by_a_plain_pip_install():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    packages = {name for name, path in modules().items() if path.name == "__init__.py"}
    assert packages <= listed, f"not in pyproject's packages: {sorted(packages - listed)}"


def test_the_architecture_page_describes_every_package():
    layout = (ROOT / "docs" / "architecture.md").read_text()
    for name, path in modules().items():
        if path.name == "__init__.py":
            folder = "/".join(name.split(".")) + "/"
            assert re.search(re.escape(folder), layout), f"docs/architecture.md does not mention {folder}"


def test_bench_imports_nothing_from_tests_and_never_edits_sys_path():
    # What bench/ shares with the tests (the unusual hand, the scripted pen) lives in the packages, which an
    # editable install makes importable; a bench script that reached into tests/ needed sys.path edited first.
    scripts = sorted((ROOT / "bench").glob("*.py"))
    assert scripts
    for path in scripts:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert not any(alias.name.split(".")[0] == "tests" for alias in node.names), path.name
            elif isinstance(node, ast.ImportFrom):
                assert node.level or (node.module or "").split(".")[0] != "tests", path.name
            elif isinstance(node, ast.Attribute) and node.attr == "path":
                assert not (isinstance(node.value, ast.Name) and node.value.id == "sys"), f"{path.name} edits sys.path"


MAX_FUNCTION_LINES = 60


def test_no_function_is_over_60_lines():
    # A function that long does several jobs; bench/ scripts are outside the packages and not held to it.
    long = []
    for name, path in sorted(modules().items()):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    assert not long, "functions over 60 lines, split them into steps: " + "; ".join(long)
