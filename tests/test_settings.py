"""One place for the environment: the README's configuration table, settings.py and the code agree.

The README table is parsed as a user reads it, so a default changed on one side only fails here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration import settings
from orchestration.settings import REPO_ROOT

README = REPO_ROOT / "README.md"
# Where the project's own code lives; tests may set variables for the code under test.
SOURCE_DIRS = ("orchestration", "scoring")
ENV_READ = re.compile(r"os\.environ|getenv\(|EnvVar\(\s*[\"']")


def _repo_path(default: str) -> Path:
    return (REPO_ROOT / default).resolve()


# How each variable's documented default looks once resolved.
RESOLVED: dict[str, tuple[Callable[[], object], Callable[[str], object]]] = {
    "PRISM_WAREHOUSE_DB": (settings.warehouse_path, _repo_path),
    "PRISM_SOURCE": (settings.prism_source, str),
    "PRISM_REJECT_THRESHOLD": (settings.prism_reject_threshold, float),
    "PRISM_DATA_DIR": (settings.data_dir, _repo_path),
    "PERSPECTIVE_API_KEY": (settings.perspective_api_key, str),
    "PERSPECTIVE_QPS": (settings.perspective_qps, float),
    "PERSPECTIVE_API_URL": (settings.perspective_api_url, str),
    "HF_TOKEN": (settings.hf_token, str),
    "PRISM_STAN_ENGINE": (settings.stan_engine, str),
    "PRISM_FIT_PROFILE": (settings.fit_profile, str),
    "PRISM_SYNTHETIC_SCALE": (settings.synthetic_scale, str),
    "PRISM_SYNTHETIC_TRUTH": (settings.synthetic_truth, str),
    "PRISM_HF_REVISION": (settings.hf_revision, str),
    "PRISM_HF_BASE_URL": (settings.hf_base_url, str),
    "PRISM_LOCK_FILE": (settings.lock_path, _repo_path),
    "PRISM_TOPIC_EMBEDDER": (settings.topic_embedder, str),
    "PRISM_HF_PROBE_TIMEOUT": (settings.hf_probe_timeout, float),
}


def readme_defaults(text: str) -> dict[str, str | None]:
    """``{variable: default}`` from the table under ``## Configuration``; None for "unset".

    A default cell opens with the value in backticks (what follows explains it) or with "unset".
    """
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    defaults: dict[str, str | None] = {}
    for row in rows:
        name_cell, _, default_cell = (cell.strip() for cell in row.strip("|").rsplit("|", 2))
        names = re.findall(r"`([A-Z][A-Z0-9_]+)`", name_cell)
        assert len(names) == 1, f"one variable per row, got {names} in {row!r}"
        value = re.match(r"`([^`]*)`", default_cell)
        if value is None:
            assert default_cell.startswith("unset"), f"default cell {default_cell!r}"
        defaults[names[0]] = value.group(1) if value else None
    return defaults


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for variable in settings.VARIABLES:
        monkeypatch.delenv(variable.name, raising=False)
    return monkeypatch


def test_readme_documents_exactly_the_variables_settings_reads() -> None:
    documented = readme_defaults(README.read_text(encoding="utf-8"))
    assert list(documented) == [v.name for v in settings.VARIABLES]
    assert set(RESOLVED) == set(documented)


def test_readme_defaults_are_the_settings_defaults() -> None:
    documented = readme_defaults(README.read_text(encoding="utf-8"))
    for variable in settings.VARIABLES:
        assert documented[variable.name] == variable.default, variable.name


def test_unset_variables_resolve_to_the_documented_defaults(clean_environment) -> None:
    for variable in settings.VARIABLES:
        resolve, convert = RESOLVED[variable.name]
        expected = None if variable.default is None else convert(variable.default)
        assert resolve() == expected, variable.name


def test_the_parser_reads_values_and_unset() -> None:
    table = (
        "intro\n## Configuration\n\n| variable | meaning | default |\n|---|---|---|\n"
        "| `A_B` | a `c` or `d` | `1` (one) |\n| `KEY` | secret | unset: nothing |\n\n## Next\n"
        "| `OTHER` | x | `2` |\n"
    )
    assert readme_defaults(table) == {"A_B": "1", "KEY": None}


def test_set_values_win_and_blank_means_unset(clean_environment, tmp_path: Path) -> None:
    clean_environment.setenv("PRISM_DATA_DIR", str(tmp_path / "elsewhere"))
    assert settings.data_dir() == tmp_path / "elsewhere"
    # The warehouse follows the data directory unless set itself.
    assert settings.warehouse_path() == tmp_path / "elsewhere" / "warehouse.duckdb"
    clean_environment.setenv("PRISM_WAREHOUSE_DB", str(tmp_path / "w.duckdb"))
    assert settings.warehouse_path() == tmp_path / "w.duckdb"
    clean_environment.setenv("PRISM_HF_PROBE_TIMEOUT", " 2.5 ")
    assert settings.hf_probe_timeout() == 2.5
    clean_environment.setenv("PRISM_HF_BASE_URL", "http://127.0.0.1:9/")
    assert settings.hf_base_url() == "http://127.0.0.1:9"
    clean_environment.setenv("PRISM_STAN_ENGINE", "PyStan")
    assert settings.stan_engine() == "pystan"
    clean_environment.setenv("PRISM_SOURCE", "  ")
    assert settings.prism_source() == "auto"
    clean_environment.setenv("PERSPECTIVE_API_KEY", "")
    assert settings.perspective_api_key() is None


def test_a_number_that_is_not_one_names_its_variable(clean_environment) -> None:
    clean_environment.setenv("PERSPECTIVE_QPS", "fast")
    with pytest.raises(ValueError, match="PERSPECTIVE_QPS='fast'"):
        settings.perspective_qps()


def test_dbt_profile_has_the_same_warehouse_default() -> None:
    profile = (REPO_ROOT / "profiles.yml").read_text(encoding="utf-8")
    (default,) = re.findall(r"env_var\('PRISM_WAREHOUSE_DB', '([^']*)'\)", profile)
    assert default == settings.WAREHOUSE_DB.default


def test_only_settings_reads_the_environment() -> None:
    readers = sorted(
        str(path.relative_to(REPO_ROOT))
        for directory in SOURCE_DIRS
        for path in (REPO_ROOT / directory).rglob("*.py")
        if ENV_READ.search(path.read_text(encoding="utf-8"))
    )
    assert readers == ["orchestration/settings.py"]
