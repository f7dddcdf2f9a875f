"""The Dagster asset: scorer choice, progress metadata, imports, schedule, and the key."""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.scoring import ScoringRunConfig, text_scores
from orchestration.jobs import score_texts_job
from orchestration.resources import PerspectiveResource, PrismSourceResource, WarehouseResource
from orchestration.schedules import score_texts_hourly
from tests.scoring.support import API_KEY, StagingText, english_texts, fake_server, make_warehouse


def resources(db: Path, url: str = "http://127.0.0.1:9", key: str | None = API_KEY) -> dict:
    return {
        "warehouse": WarehouseResource(path=str(db)),
        "perspective": PerspectiveResource(api_key=key, api_url=url, qps=20),
        "prism_source": PrismSourceResource(source="synthetic"),
    }


def run_config(**fields: object) -> dg.RunConfig:
    return dg.RunConfig(ops={text_scores.op.name: ScoringRunConfig(**fields)})


def materialization(result: dg.ExecuteInProcessResult) -> dict:
    (event,) = result.asset_materializations_for_node(text_scores.op.name)
    return {k: v.value for k, v in event.metadata.items()}


def test_live_scoring_metadata_and_no_key_anywhere(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(25) + [StagingText("")])
    instance = dg.DagsterInstance.ephemeral()
    with caplog.at_level(logging.DEBUG), fake_server() as server:
        result = dg.materialize(
            [text_scores],
            resources=resources(db, server.url),
            run_config=run_config(progress_interval_seconds=0.2),
            instance=instance,
        )
    assert result.success
    meta = materialization(result)
    assert meta["scorer"] == "perspective"
    assert (meta["texts_done"], meta["texts_remaining"], meta["texts_scored"]) == (26, 0, 25)
    assert meta["requests"] == 25 and meta["requests_per_second"] > 0
    assert meta["errors_by_type"] == {"skipped:EMPTY_TEXT": 1}
    assert meta["dagster/row_count"] == 25 * 8
    logs = [r.user_message for r in instance.all_logs(result.run_id)]
    assert any("scoring progress:" in m for m in logs)
    assert API_KEY not in str(meta)
    assert all(API_KEY not in m for m in logs)
    assert API_KEY not in caplog.text
    out, err = capfd.readouterr()
    assert API_KEY not in out + err
    assert API_KEY.encode() not in db.read_bytes()


def test_bad_key_fails_the_run_with_metadata(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(5))
    with fake_server() as server:
        result = dg.materialize(
            [text_scores],
            resources=resources(db, server.url, key="bad-key-000"),
            run_config=run_config(scorer="perspective"),
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "API_KEY_INVALID" in str(failure.event_specific_data.error)


def test_auto_imports_synthetic_scores_for_a_synthetic_dataset(
    small_prism_dir: Path, tmp_path: Path
) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(3), dataset_source="synthetic")
    result = dg.materialize(
        [text_scores],
        resources=resources(db, key=None),
        run_config=run_config(path=str(small_prism_dir)),
    )
    meta = materialization(result)
    assert meta["scorer"] == "synthetic"
    assert meta["rows_rejected"] == 0
    with duckdb.connect(str(db)) as conn:
        scorers = conn.execute("select distinct scorer from raw.text_scores").fetchall()
    assert scorers == [("imported:synthetic",)]
    again = materialization(
        dg.materialize(
            [text_scores],
            resources=resources(db, key=None),
            run_config=run_config(path=str(small_prism_dir)),
        )
    )
    assert again["files"][0]["scores_changed"] == 0


def test_imported_directory(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(1))
    folder = tmp_path / "scores"
    folder.mkdir()
    text = english_texts(1)[0]
    (folder / "Vendor A.csv").write_text(f"text_hash,TOXICITY\n{text.text_hash},0.5\nbad,0.1\n")
    result = dg.materialize(
        [text_scores],
        resources=resources(db, key=None),
        run_config=run_config(scorer="imported", path=str(folder)),
    )
    meta = materialization(result)
    assert meta["files"][0]["scorer"] == "imported:vendor_a"
    assert meta["rows_rejected"] == 1


def test_no_key_and_real_data_fails_with_advice(tmp_path: Path) -> None:
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(1))
    result = dg.materialize([text_scores], resources=resources(db, key=None), raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "PERSPECTIVE_API_KEY" in str(failure.event_specific_data.error)


def test_schedule_and_job_wire_up(tmp_path: Path) -> None:
    job, schedule = score_texts_job, score_texts_hourly
    db = make_warehouse(tmp_path / "w.duckdb", english_texts(1))
    defs = dg.Definitions(
        assets=[text_scores], jobs=[job], schedules=[schedule], resources=resources(db)
    )
    job_def = defs.resolve_job_def(job.name)
    assert {k.to_user_string() for k in job_def.asset_layer.executable_asset_keys} == {
        "raw/text_scores"
    }
    assert schedule.cron_schedule == "0 * * * *"
    (request,) = schedule.evaluate_tick(dg.build_schedule_context()).run_requests
    validated = dg.validate_run_config(job_def, request.run_config)
    assert validated["ops"]["raw__text_scores"]["config"]["run_window_minutes"] == 50.0
    assert text_scores.specs_by_key[dg.AssetKey(["raw", "text_scores"])].group_name == "scores"


def test_resource_repr_hides_the_key() -> None:
    resource = PerspectiveResource(api_key=API_KEY, api_url="http://127.0.0.1:9")
    assert API_KEY not in repr(resource)
    assert "127.0.0.1:9" in repr(resource)
    assert resource.key() == API_KEY
