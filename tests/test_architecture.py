"""Architecture contracts (STYLE.md): the core imports without Qt; pydicom stays in the I/O package."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE_PACKAGES = ("viewer", "annotation", "analysis")


def core_modules() -> list[str]:
    mods = []
    for pkg in CORE_PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            rel = path.relative_to(ROOT).with_suffix("")
            if "qt" in rel.parts:
                continue
            parts = list(rel.parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            mods.append(".".join(parts))
    return mods


def test_core_imports_with_pyside6_blocked() -> None:
    """Every non-Qt module of viewer/annotation/analysis imports with PySide6 made unimportable."""
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.'):\n"
        "            raise ImportError('PySide6 blocked in the core')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {core_modules()!r}:\n"
        "    importlib.import_module(m)\n"
        "assert not any(k.startswith('PySide6') for k in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


#: the DICOM network and SR libraries: only in the interop package (beside viewer/dicomio), which also
#: uses pydicom (highdicom builds on it)
INTEROP_LIBS = {"highdicom", "pynetdicom", "dicomweb_client"}


def test_pydicom_simpleitk_and_skimage_stay_in_their_packages() -> None:
    """pydicom only in viewer/dicomio and viewer/interop; SimpleITK there, in viewer/registration and in
    viewer/segment; scikit-image only in viewer/segment (the one module that segments); highdicom,
    pynetdicom and dicomweb-client only in viewer/interop."""
    homes = {("viewer", "dicomio"): {"pydicom", "SimpleITK"}, ("viewer", "registration"): {"SimpleITK"},
             ("viewer", "segment"): {"SimpleITK", "skimage"}, ("viewer", "interop"): {"pydicom", *INTEROP_LIBS}}
    offenders = []
    for pkg in ("app", *CORE_PACKAGES):
        for path in (ROOT / pkg).rglob("*.py"):
            rel = path.relative_to(ROOT)
            allowed = homes.get(rel.parts[:2], set())
            bad = (_imports(path) & {"pydicom", "SimpleITK", "skimage", *INTEROP_LIBS}) - allowed
            if bad:
                offenders.append(f"{rel}: {sorted(bad)}")
    assert not offenders, offenders


def test_import_linter_contracts_are_kept() -> None:
    """The layer order (viewer < annotation < analysis < app) and Qt only in app/ and */qt/,
    as declared in pyproject.toml's [tool.importlinter] and checked by import-linter itself."""
    lint = Path(sys.executable).with_name("lint-imports")
    assert lint.exists(), "import-linter is a test dependency (pyproject [test] extra)"
    proc = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout, proc.stdout[-2000:]
