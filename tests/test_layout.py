"""The package layout is a contract: the speech, dialog and phone layers never import each other,
the agent, or the store, and the store imports none of them.

That is what lets each layer be tested, benchmarked and replaced on its own (the dialog runs from
a text file, the store without a model), so it is checked on every module's syntax tree.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATABASE = {"store", "sqlalchemy", "sqlmodel", "alembic", "psycopg", "psycopg2"}
LAYERS = {"asr", "tts", "dialog", "telephony"}
FORBIDDEN: dict[str, set[str]] = {
    **{layer: (LAYERS - {layer}) | {"agent"} | DATABASE for layer in LAYERS},
    "store": {"agent", "dialog", "asr", "tts", "telephony"},
}


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            roots.add(node.args[0].value.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_stay_in_their_lane(package: str) -> None:
    modules = _modules(package)
    assert modules, f"{package}/ has no modules"
    problems = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in sorted(_imported_roots(path) & FORBIDDEN[package])
    ]
    assert not problems, "\n".join(problems)


def test_checker_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text(
        "import store.db\nfrom agent.session import X\nfrom . import local\n"
        "def f():\n    import sqlmodel\n    importlib.import_module('tts.voice')\n",
        encoding="utf-8",
    )
    assert _imported_roots(sample) == {"store", "agent", "sqlmodel", "tts"}
