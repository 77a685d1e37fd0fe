"""The tree is the map: the loss library depends on torch alone, and imports point one way.

notebooks → explorers → figures → experiments → data, losses. No module of the loss library
imports a course helper, and ``import focal_teach`` loads none of the notebooks' libraries.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "focal_teach"

# What each part of the package may import from focal_teach (besides itself and the private helpers).
ALLOWED = {
    "losses": set(),
    "data": {"losses"},
    "experiments": {"losses", "data"},
    "figures": {"losses", "data", "experiments"},
    "explorers": {"losses", "data", "experiments", "figures"},
    "exercises": {"losses", "experiments"},
}
PRIVATE_HELPERS = {"_checks", "_extras"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def part_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "focal_teach" and len(parts) > 1 else None


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_parts_below_it(part):
    for path in sorted((PACKAGE / part).rglob("*.py")):
        used = {part_of(m) for m in imported_modules(path)} - {None, part}
        if part == "losses":
            assert not used, f"{path.relative_to(PACKAGE)} imports focal_teach.{used}: the loss library stands alone"
        else:
            assert used <= ALLOWED[part] | PRIVATE_HELPERS, (
                f"{path.relative_to(PACKAGE)} imports focal_teach.{sorted(used - ALLOWED[part] - PRIVATE_HELPERS)}"
            )


def test_the_loss_library_needs_torch_alone():
    third_party = set()
    for path in (PACKAGE / "losses").rglob("*.py"):
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top not in sys.stdlib_module_names and top != "__future__":
                third_party.add(top)
    assert third_party == {"torch"}


def test_import_focal_teach_loads_none_of_the_notebooks_libraries():
    code = (  # torch itself may import tqdm; count only what focal_teach adds
        "import sys, torch; before = {m.split('.')[0] for m in sys.modules}; import focal_teach; "
        "added = {m.split('.')[0] for m in sys.modules} - before; "
        "print(sorted(added & {'matplotlib', 'sklearn', 'ipywidgets', 'tqdm', 'PIL'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_top_level_names_are_the_loss_librarys():
    import focal_teach
    import focal_teach.losses

    assert focal_teach.__all__ == focal_teach.losses.__all__
    assert all(getattr(focal_teach, name) is getattr(focal_teach.losses, name) for name in focal_teach.__all__)


def test_a_missing_extra_is_named_with_the_install_command(monkeypatch):
    import importlib.util

    from focal_teach import _extras

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a))
    with pytest.raises(ImportError, match=r"needs sklearn.*pip install 'focal-teach\[notebooks\]'.*scikit-learn"):
        _extras.require("focal_teach.experiments", "numpy", "sklearn")
