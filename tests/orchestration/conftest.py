"""The whole pipeline materialised once per session on small synthetic data.

The integration test, the browser test and the analyst-SQL test all read this one instance: a
temporary ``DAGSTER_HOME`` (so the webserver shows its runs), a temporary DuckDB file, and fits
sampled with the ``quick`` profile.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from orchestration.modeling.specs import ATTRIBUTES
from orchestration.settings import REPO_ROOT

# The per-conversation-type fits run the same code as the all-data ones; leaving them out keeps
# the session's sampling time modest.
FITS = (
    "top_scored__all",
    "log_score__all",
    "log_score_toxicity_interaction__all",
    "moderation__all",
    *(f"mirroring__response_{a}" for a in ATTRIBUTES),
    "top_choice__all",
    # The bounded families beside 1b and one mirroring fit.
    "log_score_rounded__all",
    "mirroring_beta__response_toxicity",
)


@dataclass(frozen=True)
class MaterializedInstance:
    dagster_home: Path
    env: dict[str, str]
    result: dg.ExecuteInProcessResult

    @property
    def warehouse(self) -> Path:
        return Path(self.env["PRISM_WAREHOUSE_DB"])


@pytest.fixture(scope="session")
def materialized_instance(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[MaterializedInstance]:
    root = tmp_path_factory.mktemp("pipeline")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "orchestration" / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "PRISM_DATA_DIR": str(root / "data"),
        "PRISM_WAREHOUSE_DB": str(root / "data" / "warehouse.duckdb"),
        "PRISM_SOURCE": "synthetic",
        "PRISM_SYNTHETIC_SCALE": "small",
        "PRISM_FIT_PROFILE": "quick",
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        patch.delenv("PERSPECTIVE_API_KEY", raising=False)
        from orchestration.assets.analysis import SPECS, fit_key
        from orchestration.definitions import defs
        from orchestration.resources import StanSettings, TopicSettings

        left_out = [fit_key(spec) for spec in SPECS if spec.name not in FITS]
        selection = dg.AssetSelection.all() - dg.AssetSelection.assets(*left_out)
        with dg.DagsterInstance.get() as instance:
            result = dg.materialize(
                list(defs.assets),
                selection=selection,
                instance=instance,
                resources={
                    **defs.resources,
                    "stan_settings": StanSettings(profile="quick"),
                    # About 320 opening prompts at small scale: PRISM's 80 would find no topic.
                    "topic_settings": TopicSettings(min_cluster_size=10),
                },
                raise_on_error=False,
            )
    # The environment is restored before any test runs, so no other suite sees these settings;
    # tests that need them (the webserver, the SQL examples) take them from `env`.
    yield MaterializedInstance(home, env, result)
