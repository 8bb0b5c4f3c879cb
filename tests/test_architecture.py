"""The architecture holds: the import-linter contracts in pyproject.toml are kept, a bad import
breaks them, and the curated surfaces export exactly what they say (docs/architecture.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import socialcredit
import socialcredit.accounts
import socialcredit.records
import socialcredit.rights
import socialcredit.system

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = [
    sys.executable,
    "-c",
    "import sys, importlinter.cli as c; sys.exit(c.lint_imports_command())",
]


def lint_imports(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the package found first on the path from ``cwd``."""
    env = {"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}
    return subprocess.run(
        [*LINT_IMPORTS, "--no-cache", str(cwd / "pyproject.toml"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def package_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the package's sources and the contracts, to break on purpose."""
    root = tmp_path_factory.mktemp("arch")
    shutil.copytree(
        ROOT / "socialcredit",
        root / "socialcredit",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.db", "locale", "static"),
    )
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.slow  # a lint of a package copy per case (about a second each)
@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        # the domain reaching up into an adapter
        ("scoring/_engine.py", "import socialcredit.api", "layers"),
        # the application object reaching up into an adapter
        ("system/_core.py", "import socialcredit.api", "layers"),
        # the portal reusing the API's helpers instead of the application object
        ("web/_subject.py", "import socialcredit.api", "layers"),
        # a domain package reaching up into the application object
        ("records/_index.py", "import socialcredit.system", "layers"),
        # rights reaching up into the consequences (the subject report lives above both)
        ("rights/_disputes.py", "import socialcredit.consequences", "layers"),
        # the lab importing the portal
        ("simulation/_metrics.py", "import socialcredit.web", "lab"),
        # the lab driving the application object
        ("simulation/_metrics.py", "import socialcredit.system", "lab"),
        # storage importing the ledger above it: a cycle between top-level packages
        ("storage/_port.py", "import socialcredit.ledger", "acyclic"),
        # two leaf services coupled
        ("witness/_log.py", "import socialcredit.documents", "leaves"),
    ],
)
def test_a_bad_import_is_caught(
    package_copy: Path, module: str, bad_import: str, broken: str
) -> None:
    assert lint_imports(package_copy, "--contract", broken).returncode == 0
    path = package_copy / "socialcredit" / module
    original = path.read_text()
    path.write_text(original + f"\n{bad_import}  # deliberately bad\n")
    try:
        result = lint_imports(package_copy, "--contract", broken)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    assert "0 kept, 1 broken" in result.stdout
    assert module.split("/")[0] in result.stdout  # the report names the offending package


def exported(module: object) -> list[str]:
    """The public names a module defines or loads on first use (httpx's exported-members test)."""
    names = dir(module)
    return sorted(n for n in names if not n.startswith("_") and not _is_submodule(module, n))


def _is_submodule(module: object, name: str) -> bool:
    value = getattr(module, name)
    return getattr(value, "__name__", "").startswith(f"{module.__name__}.")  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "module",
    [
        socialcredit,
        socialcredit.accounts,
        socialcredit.records,
        socialcredit.rights,
        socialcredit.system,
    ],
)
def test_the_surface_exports_exactly_its_members(module: object) -> None:
    surface = sorted(n for n in module.__all__ if not n.startswith("_"))  # type: ignore[attr-defined]
    assert surface == exported(module)


def test_every_top_level_name_resolves_to_its_package_surface() -> None:
    for name in socialcredit.__all__:
        value = getattr(socialcredit, name)
        home = getattr(value, "__module__", "socialcredit")
        assert home.startswith("socialcredit"), name
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        _ = socialcredit.nothing  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("package", "loaded"),
    [
        ("socialcredit", ["socialcredit", "socialcredit.errors"]),
        # the command line imports the roles at start-up, never the account store
        (
            "socialcredit.accounts",
            [
                "socialcredit",
                "socialcredit.accounts",
                "socialcredit.accounts._roles",
                "socialcredit.errors",
            ],
        ),
    ],
)
def test_importing_a_lazy_surface_loads_only_what_it_must(package: str, loaded: list[str]) -> None:
    code = (
        f"import sys, {package}; "
        "print(sorted(m for m in sys.modules if m.startswith('socialcredit')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.strip() == repr(loaded)


def test_the_rights_deadlines_are_the_records_deadlines() -> None:
    assert socialcredit.rights.dispute_deadlines is socialcredit.records.dispute_deadlines
