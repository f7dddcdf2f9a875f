"""PRISM's case studies at full synthetic scale: what they cost, and whether they find the truth
the ``preferences`` preset plants.

It runs ``python -m orchestration.run --job case_studies_job`` (what ``make case-studies`` runs)
in a fresh data directory on full-scale synthetic PRISM from the ``preferences`` truth, at the
``default`` profile, then reads the analysis tables back and checks each study against the plant:

- **time**: every case-study step's wall time (Dagster's step stats), their sum (the core-seconds
  they add to ``make run``, where they share the cores with the paper's fits), and the wall time
  from the end of the last step they depend on (dbt) to the end of the job (what they add when
  run alone);
- **dialogue diversity**: the adjusted Rand index of the found topics against the planted ones
  (outliers are a cluster of their own), whether each planted topic is the largest share of a
  topic of its own, and each planted demographic effect on topic choice in
  ``analysis.topic_regressions``: its sign and its participant-clustered p-value;
- **preference diversity**: the gender x model deviations of the Bradley-Terry-Davidson fit
  against their pseudo-true values. The plant is on the log-score scale (women +0.2 on gpt-4
  and -0.2 on command, men the reverse), and a Bradley-Terry-Davidson model of battles with ties
  within 5 points is not the generator's model, so the value its deviations estimate is the
  large-sample limit of its own fit to the generator's battles (the pseudo-true value, the
  Kullback-Leibler projection of the generator onto the model). It is computed as the maximum
  likelihood fit, with the fit's battle weights, to the pooled battles of
  ``PSEUDO_TRUTH_SEEDS`` further full-scale twins that share seed 0's truth (the preset with
  the LLM effects pinned to the ones seed 0 drew). The 90% intervals of the seed-0 fit should
  cover about 90% of those values, the planted cells included, and the planted cells should
  have the planted sign. The same twins say whether a likelihood's standard errors are honest:
  the spread of the twins' maximum likelihood deviations over the standard error the
  likelihood claims, for battles weighted as the fits weigh them and counted once each;
- **juries**: the simulation rerun from the exported inputs with the same seed reproduces
  ``analysis.jury_welfare_draws`` to the row;
- the Bradley-Terry fits' convergence checks (``analysis.ranking_diagnostics``).

Run: ``make bench BENCH=bench_case_studies`` or
``.venv/bin/python -m tests.benchmarks.bench_case_studies``; about 10 minutes on two cores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from sklearn.metrics import adjusted_rand_score

from orchestration.case_studies import jury
from orchestration.case_studies.inputs import read_input
from orchestration.settings import REPO_ROOT
from orchestration.synthetic import generate
from orchestration.synthetic.truth import PLANTED_GROUP_MODEL, PLANTED_TOPICS, preferences_truth

WORKDIR = REPO_ROOT / "data" / "bench" / "case_studies"
TRUTH = "preferences"
# Further twins whose pooled battles give the pseudo-true deviations: ten times one fit's
# battles, so their Monte Carlo error is about a third of one fit's posterior sd.
PSEUDO_TRUTH_SEEDS = tuple(range(1, 11))
TIE_MARGIN = 5  # dbt var battle_tie_margin
GROUPING = "gender"
# The targets.
MIN_ARI = 0.7
ALPHA = 0.01
MIN_COVERAGE = 0.8


def bench(workdir: Path = WORKDIR) -> list[dict[str, object]]:
    """Benchmark rows ``{"benchmark", "metric", "value", "unit", "note"}``."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "dagster_home").mkdir(parents=True)
    shutil.copyfile(
        REPO_ROOT / "orchestration" / "dagster.yaml", workdir / "dagster_home" / "dagster.yaml"
    )
    env = os.environ | {
        "PRISM_DATA_DIR": str(workdir),
        "PRISM_WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
        "DAGSTER_HOME": str(workdir / "dagster_home"),
        "PRISM_SOURCE": "synthetic",
        "PRISM_SYNTHETIC_SCALE": "full",
        "PRISM_SYNTHETIC_TRUTH": TRUTH,
        "PRISM_FIT_PROFILE": "default",
    }
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "orchestration.run", "--job", "case_studies_job"],
        env=env,
        cwd=REPO_ROOT,
        check=True,
    )
    wall = time.perf_counter() - start
    (workdir / "case_studies_run.json").write_text(json.dumps({"wall": wall}))
    steps = step_times(workdir / "dagster_home")
    steps.to_parquet(workdir / "step_times.parquet")
    return evaluate(workdir)


def step_times(dagster_home: Path) -> pd.DataFrame:
    """``step, start, end, seconds, case_study`` for every step of the instance's latest run."""
    import dagster as dg

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    # A case-study step materialises a case-study asset or one built on them (the topic mart).
    studies: set[dg.AssetKey] = set()
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if node.group_name == "case_studies" or node.parent_keys & studies:
            studies.add(key)
    case_study_steps = {graph.get(key).assets_def.node_def.name for key in studies}
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(dagster_home.resolve())
    try:
        with dg.DagsterInstance.get() as instance:
            run = instance.get_runs(limit=1)[0]
            stats = instance.get_run_step_stats(run.run_id)
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = previous
    return pd.DataFrame(
        [
            {
                "step": s.step_key,
                "start": s.start_time,
                "end": s.end_time,
                "seconds": s.end_time - s.start_time,
                "case_study": s.step_key in case_study_steps,
            }
            for s in stats
        ]
    )


def evaluate(workdir: Path = WORKDIR) -> list[dict[str, object]]:
    """The rows of a finished run, read back from its directory (re-runnable)."""
    wall = json.loads((workdir / "case_studies_run.json").read_text())["wall"]
    steps = pd.read_parquet(workdir / "step_times.parquet")
    truth = json.loads(next((workdir / "synthetic").glob("full-*/truth.json")).read_text())
    with duckdb.connect(str(workdir / "warehouse.duckdb"), read_only=True) as con:
        topics = con.sql("select conversation_id, topic_id from analysis.opening_topics").df()
        regressions = con.sql("select * from analysis.topic_regressions").df()
        rankings = con.sql(
            "select * from analysis.model_rankings "
            f"where method = 'bradley_terry' and grouping = '{GROUPING}' "
            "and ranking_status = 'ranked'"
        ).df()
        diagnostics = con.sql("select * from analysis.ranking_diagnostics").df()
        jury_draws = con.sql("select * from analysis.jury_welfare_draws").df()
    planted_topics = truth["topics"]["conversation_topics"]
    levels = sorted(rankings["level"].unique())
    twins = twin_counts(workdir, truth["random_effects"]["model_score"])
    return (
        time_rows(steps, wall)
        + topic_rows(topics, regressions, planted_topics)
        + ranking_rows(rankings, twins, levels)
        + jury_rows(jury_draws, workdir / "case_studies" / "inputs")
        + convergence_rows(diagnostics)
    )


def time_rows(steps: pd.DataFrame, wall: float) -> list[dict[str, object]]:
    ours = steps[steps["case_study"]].sort_values("seconds", ascending=False)
    upstream_end = steps.loc[~steps["case_study"], "end"].max()
    alone = float(ours["end"].max() - upstream_end)
    note = f"full-scale synthetic ({TRUTH} truth), default profile, make case-studies"
    rows = [
        _row(
            "case_studies",
            "job_wall_seconds",
            wall,
            "s",
            f"{note}: files, scores, dbt and the studies",
        ),
        _row(
            "case_studies",
            "added_wall_seconds",
            alone,
            "s",
            "end of the last upstream step (dbt) to the end of the job: what the studies add "
            "run alone",
        ),
        _row(
            "case_studies",
            "step_seconds_total",
            float(ours["seconds"].sum()),
            "s",
            f"sum over the {len(ours)} case-study steps (two run at once): the core time they "
            "add to make run, where they share the cores with the paper's fits",
        ),
    ]
    rows += [
        _row("case_studies/steps", step.step, float(step.seconds), "s", "step wall time")
        for step in ours.itertuples()
    ]
    return rows


def topic_rows(
    topics: pd.DataFrame, regressions: pd.DataFrame, planted: dict[str, str]
) -> list[dict[str, object]]:
    frame = topics.assign(planted=topics["conversation_id"].map(planted))
    if frame["planted"].isna().any():
        raise ValueError("a conversation of analysis.opening_topics has no planted topic")
    ari = float(adjusted_rand_score(frame["planted"], frame["topic_id"]))
    found = {
        name: int(frame.loc[frame["planted"] == name, "topic_id"].mode()[0])
        for name in PLANTED_TOPICS.vocabulary
    }
    own = len(set(found.values())) == len(found) and -1 not in found.values()
    rows = [
        _row(
            "case_studies/topics",
            "adjusted_rand_index",
            ari,
            "",
            f"found topics (outliers one cluster) against the {len(found)} planted topics and the "
            f"generic openings; target >= {MIN_ARI}",
        ),
        _row(
            "case_studies/topics",
            "topics_found",
            int((topics["topic_id"].drop_duplicates() >= 0).sum()),
            "topics",
            f"outlier share {float((topics['topic_id'] < 0).mean()):.3f}",
        ),
        _row(
            "case_studies/topics",
            "planted_topics_with_a_topic_of_their_own",
            "yes" if own else "NO",
            "",
            "each planted topic is the largest share of a distinct found topic",
        ),
    ]
    table = regressions.set_index(["topic_id", "term"])
    for attribute, by_level in PLANTED_TOPICS.effects.items():
        for level, by_topic in by_level.items():
            for name, effect in by_topic.items():
                row = table.loc[(found[name], f"{attribute}[{level}]")]
                ok = (row["estimate"] > 0) == (effect > 0) and row["p_clustered"] < ALPHA
                rows.append(
                    _row(
                        "case_studies/topics",
                        f"effect:{attribute}[{level}]:{name}",
                        float(row["estimate"]),
                        "share",
                        f"planted {effect:+.1f} log-odds; clustered p {row['p_clustered']:.2g}; "
                        f"{'right sign, p < 0.01' if ok else 'NOT recovered'}",
                    )
                )
    return rows


def ranking_rows(
    rankings: pd.DataFrame, twins: pd.DataFrame, levels: list[str]
) -> list[dict[str, object]]:
    table = rankings.merge(
        pseudo_true_deviations(twins, levels), on=["level", "model_name"], how="inner"
    )
    if len(table) != len(rankings):
        raise ValueError("the pseudo-truth lacks some ranked (level, model) cells")
    covered = (table["deviation_q5"] <= table["pseudo_true"]) & (
        table["pseudo_true"] <= table["deviation_q95"]
    )
    posterior_sd = (table["deviation_q95"] - table["deviation_q5"]) / 3.29
    rows = [
        _row(
            "case_studies/rankings",
            "coverage_90",
            float(covered.mean()),
            "share",
            f"{int(covered.sum())} of {len(table)} {GROUPING} x model deviations: the 5-95% "
            f"interval covers the pseudo-true value; target >= {MIN_COVERAGE}",
        ),
        _row(
            "case_studies/rankings",
            "pseudo_truth_se_to_posterior_sd",
            float((table["pseudo_true_se"] / posterior_sd).median()),
            "ratio",
            f"median Monte Carlo se of the pseudo-true value over the fit's posterior sd "
            f"({len(PSEUDO_TRUTH_SEEDS)} further twins pooled)",
        ),
    ]
    for weighted in (True, False):
        reading = "weighted by 2 / options (the fits')" if weighted else "every battle once"
        rows.append(
            _row(
                "case_studies/rankings",
                f"twin_spread_to_se:{'weighted' if weighted else 'unweighted'}",
                twin_spread_to_se(twins, levels, weighted=weighted),
                "ratio",
                f"battles {reading}: median over the {GROUPING} x model deviations of the sd of "
                f"the {len(PSEUDO_TRUTH_SEEDS)} twins' maximum likelihood values over the "
                "standard error the likelihood claims; 1 when its intervals are honest",
            )
        )
    cells = table.set_index(["level", "model_name"])
    for level, effects in PLANTED_GROUP_MODEL[GROUPING].items():
        for model, effect in effects.items():
            cell = cells.loc[(level, model)]
            inside = cell["deviation_q5"] <= cell["pseudo_true"] <= cell["deviation_q95"]
            right_sign = (cell["deviation"] > 0) == (effect > 0)
            rows.append(
                _row(
                    "case_studies/rankings",
                    f"planted:{level}:{model}",
                    float(cell["deviation"]),
                    "ability",
                    f"planted {effect:+.1f} log score; pseudo-true {cell['pseudo_true']:+.3f}; "
                    f"90% interval [{cell['deviation_q5']:+.3f}, {cell['deviation_q95']:+.3f}] "
                    f"{'covers it' if inside else 'MISSES it'}; "
                    f"P(deviation > 0) {cell['prob_deviation_positive']:.3f}; "
                    f"{'planted sign' if right_sign else 'WRONG sign'}",
                )
            )
    return rows


def jury_rows(stored: pd.DataFrame, inputs: Path) -> list[dict[str, object]]:
    again = jury.simulate(read_input(inputs, "ratings"), read_input(inputs, "participants"))
    columns = list(again.columns)
    keys = ["country", "jury", "population", "draw"]
    left = stored[columns].sort_values(keys, ignore_index=True)
    right = again.sort_values(keys, ignore_index=True)
    same = left.shape == right.shape and bool((left.astype(str) == right.astype(str)).all().all())
    return [
        _row(
            "case_studies/juries",
            "reproduced_to_the_row",
            "yes" if same else "NO",
            "",
            f"{len(right)} draws rerun from the exported inputs with seed {jury.SEED} against "
            "analysis.jury_welfare_draws",
        )
    ]


def convergence_rows(diagnostics: pd.DataFrame) -> list[dict[str, object]]:
    passed = int(diagnostics["passed"].astype(bool).sum())
    return [
        _row(
            "case_studies/bradley_terry",
            "fits_passing_all_checks",
            passed,
            f"of {len(diagnostics)}",
            f"sampling {diagnostics['sample_seconds'].sum():.0f} s in all; max R-hat "
            f"{diagnostics['max_r_hat'].max():.4f}, min bulk ESS "
            f"{diagnostics['min_ess_bulk'].min():.0f}, min tail ESS "
            f"{diagnostics['min_ess_tail'].min():.0f}, divergences "
            f"{int(diagnostics['divergences'].sum())}",
        )
    ]


# -- the pseudo-truth -------------------------------------------------------------------------


def twin_counts(workdir: Path, model_effects: dict[str, float]) -> pd.DataFrame:
    """`battle_counts` of the ``PSEUDO_TRUTH_SEEDS`` twins (a ``seed`` column), generated from
    the preset with the LLM effects pinned to seed 0's, so they share its truth."""
    path = workdir / "pseudo_truth_counts.parquet"
    if path.exists():
        return pd.read_parquet(path)
    truth = preferences_truth()
    truth.score.model_effects = dict(model_effects)
    counts = []
    with tempfile.TemporaryDirectory() as directory:
        truth_file = Path(directory) / "truth.json"
        truth_file.write_text(json.dumps(truth.to_json_dict()))
        for seed in PSEUDO_TRUTH_SEEDS:
            twin = Path(directory) / f"seed{seed}"
            generate(twin, scale="full", seed=seed, truth=truth_file)
            counts.append(battle_counts(twin, GROUPING).assign(seed=seed))
            shutil.rmtree(twin)
    table = pd.concat(counts, ignore_index=True)
    table.to_parquet(path)
    return table


def pseudo_true_deviations(counts: pd.DataFrame, levels: list[str]) -> pd.DataFrame:
    """``level, model_name, pseudo_true, pseudo_true_se``: the maximum likelihood deviations of
    the weighted Bradley-Terry-Davidson likelihood (the fit's) on the twins' pooled battles."""
    pooled = (
        counts[counts["level"].isin(levels)]
        .groupby(["level", "model_a", "model_b"], as_index=False)[list(WEIGHTED)]
        .sum()
    )
    return davidson_deviations(pooled.rename(columns=dict(zip(WEIGHTED, COUNTED, strict=True))))


def twin_spread_to_se(counts: pd.DataFrame, levels: list[str], *, weighted: bool) -> float:
    """Median over (level, model) cells of the spread of the twins' maximum likelihood deviations
    over the standard error the likelihood claims: about 1 when its intervals are honest."""
    columns = WEIGHTED if weighted else COUNTED
    fits = [
        davidson_deviations(
            twin[twin["level"].isin(levels)][["level", "model_a", "model_b", *columns]].rename(
                columns=dict(zip(columns, COUNTED, strict=True))
            )
        )
        for _, twin in counts.groupby("seed")
    ]
    spread = np.std([fit["pseudo_true"].to_numpy() for fit in fits], axis=0, ddof=1)
    se = np.mean([fit["pseudo_true_se"].to_numpy() for fit in fits], axis=0)
    return float(np.median(spread / se))


COUNTED = ("n_a_wins", "n_b_wins", "n_ties")
WEIGHTED = ("weighted_a_wins", "weighted_b_wins", "weighted_ties")


def battle_counts(prism: Path, grouping_column: str) -> pd.DataFrame:
    """Wins and ties per (participant level, model pair) of the opening turn's battles, counted
    and weighted by 2 / the interaction's options, from a synthetic release's raw files (as
    marts.fct_model_pair_counts has them, without the English rule, which does not touch
    scores)."""
    query = f"""
        with opening as (
            select interaction_id, user_id, model_name, score
            from read_json_auto('{prism / "utterances.jsonl"}')
            where turn = 0 and score is not null
        ),
        options as (
            select interaction_id, count(distinct model_name) as n_options
            from opening group by interaction_id
        ),
        battles as (
            select a.user_id, a.model_name as model_a, b.model_name as model_b,
                   a.score - b.score as diff, 2.0 / n_options as weight
            from opening as a
            join opening as b on a.interaction_id = b.interaction_id and a.model_name < b.model_name
            join options on a.interaction_id = options.interaction_id
        )
        select s.{grouping_column} as level, model_a, model_b,
               count(*) filter (where diff > {TIE_MARGIN}) as n_a_wins,
               count(*) filter (where diff < -{TIE_MARGIN}) as n_b_wins,
               count(*) filter (where abs(diff) <= {TIE_MARGIN}) as n_ties,
               coalesce(sum(weight) filter (where diff > {TIE_MARGIN}), 0) as weighted_a_wins,
               coalesce(sum(weight) filter (where diff < -{TIE_MARGIN}), 0) as weighted_b_wins,
               coalesce(sum(weight) filter (where abs(diff) <= {TIE_MARGIN}), 0) as weighted_ties
        from battles
        join read_json_auto('{prism / "survey.jsonl"}') as s using (user_id)
        where s.{grouping_column} is not null
        group by all
    """
    with duckdb.connect() as con:
        return con.sql(query).df()


def davidson_deviations(counts: pd.DataFrame) -> pd.DataFrame:
    """Maximum likelihood abilities per level (sum to zero over models, a shared tie parameter)
    and each level's deviation from the mean of the levels, as `bradley_terry_groups.stan`
    defines r_group; standard errors by the delta method on the inverse Hessian."""
    levels = sorted(counts["level"].unique())
    models = sorted(set(counts["model_a"]) | set(counts["model_b"]))
    J, K = len(levels), len(models)
    Q = np.linalg.qr(np.vstack([np.ones(K), np.eye(K)[:-1]]).T)[0][:, 1:]  # K x (K - 1), ⟂ 1
    g = counts["level"].map({v: i for i, v in enumerate(levels)}).to_numpy()
    a = counts["model_a"].map({m: i for i, m in enumerate(models)}).to_numpy()
    b = counts["model_b"].map({m: i for i, m in enumerate(models)}).to_numpy()
    wins_a, wins_b, ties = (counts[c].to_numpy(float) for c in ("n_a_wins", "n_b_wins", "n_ties"))
    n, net = wins_a + wins_b + ties, wins_a - wins_b
    total = n.sum()  # the objective is per battle, so BFGS works on gradients of order one

    def unpack(x: np.ndarray) -> tuple[np.ndarray, float]:
        return (Q @ x[:-1].reshape(K - 1, J)).T, x[-1]  # theta: J x K

    def negative_log_likelihood(x: np.ndarray) -> tuple[float, np.ndarray]:
        theta, log_nu = unpack(x)
        h = 0.5 * (theta[g, a] - theta[g, b])
        log_d = np.logaddexp(np.logaddexp(h, -h), log_nu)
        value = net @ h - n @ log_d + ties.sum() * log_nu
        d = np.exp(log_d)
        dh = net - n * (np.exp(h) - np.exp(-h)) / d
        dtheta = np.zeros((J, K))
        np.add.at(dtheta, (g, a), 0.5 * dh)
        np.add.at(dtheta, (g, b), -0.5 * dh)
        dlog_nu = ties.sum() - n @ (np.exp(log_nu) / d)
        gradient = np.concatenate([(Q.T @ dtheta.T).ravel(), [dlog_nu]])
        return -value / total, -gradient / total

    start = np.zeros((K - 1) * J + 1)
    result = minimize(
        negative_log_likelihood, start, jac=True, method="BFGS", options={"gtol": 1e-9}
    )
    # BFGS may stop on "precision loss" at the optimum; the gradient says whether it is there.
    largest = np.abs(negative_log_likelihood(result.x)[1]).max()
    if largest > 1e-6:
        raise RuntimeError(
            f"the pseudo-truth's maximum likelihood fit did not converge ({result.message}; "
            f"largest gradient {largest:.2g} per battle)"
        )
    theta, _ = unpack(result.x)
    deviation = theta - theta.mean(axis=0)
    # The deviations are linear in x, deviation.ravel() = L @ x[:-1], so their covariance is
    # L H^-1 L' with H the Hessian of the negative log likelihood (central differences of its
    # gradient, which is exact).
    step = 1e-5
    hessian = np.column_stack(
        [
            (
                negative_log_likelihood(result.x + step * e)[1]
                - negative_log_likelihood(result.x - step * e)[1]
            )
            / (2 * step)
            for e in np.eye(len(result.x))
        ]
    )
    inverse = np.linalg.inv(total * 0.5 * (hessian + hessian.T))[:-1, :-1]
    L = np.zeros((J * K, (K - 1) * J))
    for j in range(J):
        for i in range(J):
            weight = (i == j) - 1 / J
            # x[:-1] holds z[r, i] at r * J + i; theta[i] = Q @ z[:, i].
            L[j * K : (j + 1) * K, i::J] = weight * Q
    covariance = L @ inverse @ L.T
    return pd.DataFrame(
        {
            "level": np.repeat(levels, K),
            "model_name": np.tile(models, J),
            "pseudo_true": deviation.ravel(),
            "pseudo_true_se": np.sqrt(np.clip(np.diag(covariance), 0, None)),
        }
    )


def _row(benchmark: str, metric: str, value: object, unit: str, note: str) -> dict[str, object]:
    return {"benchmark": benchmark, "metric": metric, "value": value, "unit": unit, "note": note}


def main() -> None:
    rows = evaluate() if "--evaluate" in sys.argv else bench()
    print(pd.DataFrame(rows).to_string(index=False))


if __name__ == "__main__":
    main()
