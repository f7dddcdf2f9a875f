"""The documented choices (English rule, scorer choice, seeds) and dbt's offline commands."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest

from .conftest import DBT, REPO_ROOT, BuiltWarehouse, run_dbt

SEED = REPO_ROOT / "dbt_project" / "seeds" / "paper_estimates.csv"


def test_english_rule_drops_exactly_the_planted_spanish_conversations(
    tiny_warehouse: BuiltWarehouse,
) -> None:
    # tiny_prism writes conversation k in Spanish when k % 11 == 4 and sprinkles single
    # non-English flags on short English texts, which the majority rule must tolerate
    with tiny_warehouse.connect() as con:
        rows = con.execute(
            "select conversation_id, is_english_conversation, are_all_responses_english "
            "from marts.fct_conversations"
        ).fetchall()
    non_english = {cid for cid, english, _ in rows if not english}
    assert non_english == {cid for cid, *_ in rows if int(cid[1:]) % 11 == 4}
    assert any(not all_en for cid, english, all_en in rows if english), "noise should exist"


def test_english_flag_is_the_same_in_responses_and_conversations(
    small_warehouse: BuiltWarehouse,
) -> None:
    with small_warehouse.connect() as con:
        mismatches = con.execute(
            "select count(*) from marts.fct_responses r join marts.fct_conversations c "
            "using (conversation_id) "
            "where r.is_english_conversation is distinct from c.is_english_conversation"
        ).fetchone()[0]
        kept, total = con.execute(
            "select count(*) filter (where is_english_conversation), count(*) "
            "from marts.fct_conversations"
        ).fetchone()
    assert mismatches == 0
    assert 0 < kept < total


def test_identical_later_responses_are_both_chosen_and_counted(
    tiny_warehouse: BuiltWarehouse,
) -> None:
    with tiny_warehouse.connect() as con:
        doubles = con.execute(
            "select interaction_id, chosen_utterance_id, n_top_scored from marts.fct_interactions "
            "where n_chosen = 2"
        ).fetchall()
        opening = con.execute(
            "select count(*) from marts.fct_interactions where turn = 0 and n_chosen <> 1"
        ).fetchone()[0]
    assert doubles, "tiny_prism plants identical A/B pairs"
    assert all(n_top == 2 for _, _, n_top in doubles)
    assert opening == 0


def test_paper_estimates_seed_matches_the_published_tables(
    small_warehouse: BuiltWarehouse,
) -> None:
    with SEED.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_key = {(r["analysis"], r["subset"], r["term"]): r for r in rows}
    counts = {a: sum(r["analysis"] == a for r in rows) for a in ("1a", "1b", "2", "3")}
    assert counts == {"1a": 28, "1b": 29, "2": 28, "3": 49}
    r = by_key[("1a", "all", "reasoning_nuance")]
    assert (r["estimate"], r["est_error"], r["ci_lower"], r["ci_upper"]) == (
        "1.036",
        "0.09",
        "0.888",
        "1.185",
    )
    assert r["is_evidence_ratio_inf"] == "true" and r["mark"] == "*"
    r = by_key[("1b", "controversy guided", "toxicity")]
    assert (r["hypothesis"], r["evidence_ratio"], r["mark"]) == ("<", "1332.333", "*")
    r = by_key[("1b", "all", "toxicity:opening_prompt_toxicity")]
    assert (r["estimate"], r["post_prob"]) == ("0.244", "0.993")
    r = by_key[("2", "all", "is_white:toxicity")]
    assert (r["estimate"], r["evidence_ratio"], r["mark"], r["hypothesis"]) == (
        "-0.625",
        "96.561",
        "†",
        "<",
    )
    assert (
        by_key[("2", "all", "has_high_values:reasoning_nuance")]["is_evidence_ratio_inf"] == "true"
    )
    r = by_key[("3", "response_compassion", "opening_prompt_respect")]
    assert (r["estimate"], r["mark"], r["ci_lower"]) == ("-0.458", "*", "")
    with small_warehouse.connect() as con:
        assert con.execute("select count(*) from marts.paper_estimates").fetchone()[0] == len(rows)


def test_attribute_scorer_prefers_perspective_and_obeys_the_var(
    tiny_warehouse: BuiltWarehouse, tmp_path: Path
) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse.db_path, db)
    with duckdb.connect(str(db)) as con:
        con.execute(
            "insert into raw.text_scores "
            "select text_hash, attribute, 0.5, 'perspective', 'v1', languages, scored_at, policy "
            "from raw.text_scores where text_hash in "
            "(select distinct text_hash from raw.text_scores order by text_hash limit 2)"
        )
    select = ["run", "--select", "int_attribute_scorer_selected", "int_text_attributes_pivoted"]
    run_dbt(select, db, tmp_path)
    with duckdb.connect(str(db), read_only=True) as con:
        selected = con.execute(
            "select * from intermediate.int_attribute_scorer_selected"
        ).fetchall()
        pivoted = con.execute(
            "select scorer from intermediate.int_text_attributes_pivoted"
        ).fetchall()
    assert selected == [("perspective", "auto", 2)]
    assert pivoted == [("perspective",), ("perspective",)]

    run_dbt(
        [*select, "--vars", json.dumps({"attribute_scorer": "imported:synthetic"})], db, tmp_path
    )
    with duckdb.connect(str(db), read_only=True) as con:
        selected = con.execute(
            "select * from intermediate.int_attribute_scorer_selected"
        ).fetchall()
    assert selected[0][:2] == ("imported:synthetic", "var")
    assert selected[0][2] > 2


def test_parse_works_offline_without_the_env_var(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PRISM_WAREHOUSE_DB"}
    result = subprocess.run(
        [
            str(DBT),
            "parse",
            "--project-dir",
            str(REPO_ROOT),
            "--profiles-dir",
            str(REPO_ROOT),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    schemas = {n["schema"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert schemas == {"staging", "intermediate", "marts"}
    names = {n["name"] for n in manifest["nodes"].values()}
    assert {"stg_prism__texts", "fct_responses", "dim_participants", "paper_estimates"} <= names


@pytest.mark.parametrize("english_rule", ["opening_prompt", "strict"])
def test_other_english_rules_compile(
    tiny_warehouse: BuiltWarehouse, tmp_path: Path, english_rule: str
) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse.db_path, db)
    run_dbt(
        [
            "run",
            "--select",
            "int_conversations_language_flagged",
            "--vars",
            json.dumps({"english_conversation_rule": english_rule}),
        ],
        db,
        tmp_path,
    )
    with duckdb.connect(str(db), read_only=True) as con:
        rule, differs = con.execute(
            "select any_value(english_rule), count(*) filter (where is_english_conversation "
            f"is distinct from is_english_{'strict' if english_rule == 'strict' else 'majority'}) "
            "from intermediate.int_conversations_language_flagged"
        ).fetchone()
    assert rule == english_rule
    if english_rule == "strict":
        assert differs == 0


def test_docs_generate_offline(tiny_warehouse: BuiltWarehouse, tmp_path: Path) -> None:
    db = tmp_path / "warehouse.duckdb"
    shutil.copy(tiny_warehouse.db_path, db)
    run_dbt(["docs", "generate"], db, tmp_path)
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    assert "model.prism_warehouse.fct_responses" in catalog["nodes"]
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    node = manifest["nodes"]["model.prism_warehouse.fct_responses"]
    undocumented = [c for c, spec in node["columns"].items() if not spec["description"]]
    assert undocumented == []
    assert "rude, disrespectful" in node["columns"]["response_toxicity"]["description"]
