"""The whole pipeline on small synthetic data, through Dagster, into one DuckDB file."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    return con.execute(sql).fetchone()[0]


def test_every_selected_step_succeeds(materialized_instance) -> None:
    result = materialized_instance.result
    failures = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failures == []
    assert result.success


def test_layers_reconcile_in_the_warehouse(materialized_instance, small_prism_dir) -> None:
    with duckdb.connect(str(materialized_instance.warehouse), read_only=True) as con:
        utterances = _count(con, "select count(*) from raw.prism_utterances")
        rejected = _count(con, "select count(*) from raw.prism_rejects")
        assert rejected == 0
        assert _count(con, "select count(*) from marts.fct_responses") == utterances
        assert _count(con, "select count(distinct dataset_source) from marts.fct_responses") == 1
        assert (
            _count(
                con, "select count(*) from marts.fct_responses where dataset_source <> 'synthetic'"
            )
            == 0
        )
        scored = _count(
            con, "select count(*) from raw.text_scores where scorer = 'imported:synthetic'"
        )
        assert scored > 0


def test_analysis_tables_hold_every_selected_fit(materialized_instance) -> None:
    from tests.orchestration.conftest import FITS

    with duckdb.connect(str(materialized_instance.warehouse), read_only=True) as con:
        fits = con.execute(
            "select analysis || '__' || replace(subset, ' ', '_') from analysis.fit_diagnostics"
        ).fetchall()
        assert sorted(f[0] for f in fits) == sorted(FITS)
        terms = _count(
            con,
            "select count(*) from analysis.posterior_summary "
            "where analysis = 'log_score' and subset = 'all' and term = 'reasoning_nuance'",
        )
        assert terms == 1
        compared = _count(con, "select count(*) from analysis.paper_comparison")
        # 7 terms of 1a and of 1b, the interaction, 28 moderation terms and 49 mirroring cells.
        assert compared == 7 + 7 + 1 + 28 + 49
        engines = con.execute("select distinct engine from analysis.fit_diagnostics").fetchall()
        assert engines and all(e[0] in ("pystan", "cmdstanpy") for e in engines)
        checked = con.execute(
            "select distinct analysis || '__' || replace(subset, ' ', '_') "
            "from analysis.posterior_predictive"
        ).fetchall()
        assert sorted(f[0] for f in checked) == sorted(FITS)
        # The choice model of the top pick beside 1a: one row per attribute.
        beyond = con.execute(
            "select count(*), count(compared_estimate) from analysis.beyond_paper_comparison "
            "where analysis = 'top_choice' and subset = 'all'"
        ).fetchone()
        assert beyond == (7, 7)
        # The bounded families beside 1b and one mirroring fit, term for term.
        bounded = con.execute(
            "select analysis, count(*), count(compared_estimate) "
            "from analysis.beyond_paper_comparison "
            "where analysis in ('log_score_rounded', 'mirroring_beta') group by analysis "
            "order by analysis"
        ).fetchall()
        assert bounded == [("log_score_rounded", 7, 7), ("mirroring_beta", 7, 7)]
        # PSIS-LOO of the choice model: one value per interaction it fitted.
        compared = con.execute(
            "select n_observations, elpd_loo, elpd_diff, ppc_statistics "
            "from analysis.model_comparison where analysis = 'top_choice' and subset = 'all'"
        ).fetchall()
        assert len(compared) == 1
        n_observations, elpd_loo, elpd_diff, ppc_statistics = compared[0]
        sets = con.execute(
            "select count(distinct interaction_id) from marts.fct_fit_inputs"
        ).fetchone()
        assert 0 < n_observations <= sets[0]
        # A sum of log probabilities of picks; alone in its group, the model is its own best.
        assert elpd_loo < 0 and elpd_diff == 0 and ppc_statistics == 7
