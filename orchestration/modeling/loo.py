"""PSIS-LOO for the fits that write a pointwise log likelihood, and ``analysis.model_comparison``:
the models that predict the same outcome on the same rows, side by side.

A fit whose program writes ``log_lik`` (the choice models: one value per interaction, the log
probability of its top pick) gets Pareto-smoothed importance-sampling leave-one-out (ArviZ's
``loo``) right after sampling; its pointwise values are kept (`LOO_COLUMNS`) so that two fits of
the same rows can be compared observation by observation. The standard error of a difference
comes from the pointwise differences (Vehtari, Gelman and Gabry 2017), which is far smaller
than the two totals' errors together when the models agree on most observations.

An observation whose log likelihood is the same in every draw has k = 0 (its leave-one-out is
exact). An observation whose Pareto k exceeds 0.7 is one the importance sampling cannot stand in for
refitting without it; the table counts them, and a model with many such is not compared by its
LOO total without a caveat (the mixed logit's participant slopes, informed by a handful of
interactions each, are the usual cause).
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
from scipy.special import logsumexp

LOG_LIKELIHOOD = "log_lik"
PARETO_K_LIMIT = 0.7
LOO_COLUMNS: tuple[str, ...] = (
    "analysis",
    "subset",
    "outcome",
    "data_fingerprint",
    "observation",
    "elpd_loo",
    "lppd",
    "pareto_k",
)
COMPARISON_COLUMNS: tuple[str, ...] = (
    "outcome",
    "subset",
    "analysis",
    "n_observations",
    "elpd_loo",
    "elpd_loo_se",
    "p_loo",
    "n_pareto_k_above_0_7",
    "elpd_diff",
    "elpd_diff_se",
    "compared_on",
    "ppc_statistics",
    "ppc_outside_90",
)


def pointwise_loo(
    idata: az.InferenceData, *, analysis: str, subset: str, outcome: str, fingerprint: str
) -> pd.DataFrame:
    """`LOO_COLUMNS`, one row per observation of the fit's log likelihood."""
    result = az.loo(idata, pointwise=True, var_name=LOG_LIKELIHOOD)
    values = idata.log_likelihood[LOG_LIKELIHOOD].values
    draws = values.reshape(-1, values.shape[-1])
    lppd = logsumexp(draws, axis=0) - np.log(draws.shape[0])
    # An observation whose log likelihood is the same in every draw (a choice set whose options
    # are identical, so each has probability 1/size whatever the parameters) tells the posterior
    # nothing: leaving it out changes no weight, so its elpd_loo is exact. ArviZ's tail fit of
    # equal ratios reports k = inf there; it is set to 0 so the count of k above 0.7 means what
    # it says.
    constant = np.ptp(draws, axis=0) == 0
    pareto_k = np.where(constant, 0.0, np.asarray(result.pareto_k).ravel())
    return pd.DataFrame(
        {
            "analysis": analysis,
            "subset": subset,
            "outcome": outcome,
            "data_fingerprint": fingerprint,
            "observation": np.arange(draws.shape[1]),
            "elpd_loo": np.asarray(result.loo_i).ravel(),
            "lppd": lppd,
            "pareto_k": pareto_k,
        },
        columns=list(LOO_COLUMNS),
    )


def model_comparison(pointwise: pd.DataFrame, ppc: pd.DataFrame) -> pd.DataFrame:
    """`COMPARISON_COLUMNS`: one row per fit with a LOO, grouped by outcome and subset.

    Within a group the best model (highest elpd_loo) has elpd_diff 0; the others' differences
    and their standard errors are taken observation by observation, which needs the same rows
    (the same data fingerprint); ``compared_on`` says which fit each row was compared with, or
    why it was not. ``ppc_outside_90`` counts the fit's posterior predictive statistics whose
    p-value lies outside 0.05-0.95.
    """
    if pointwise.empty:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS))
    misfit = ppc.assign(outside=(ppc["ppp"] < 0.05) | (ppc["ppp"] > 0.95))
    checks = misfit.groupby(["analysis", "subset"]).agg(
        ppc_statistics=("statistic", "size"), ppc_outside_90=("outside", "sum")
    )
    rows = []
    for (outcome, subset), group in pointwise.groupby(["outcome", "subset"], sort=True):
        fits = {
            analysis: frame.sort_values("observation")
            for analysis, frame in group.groupby("analysis", sort=True)
        }
        totals = {analysis: frame["elpd_loo"].sum() for analysis, frame in fits.items()}
        best = max(totals, key=totals.__getitem__)
        reference = fits[best]
        for analysis, frame in fits.items():
            n = len(frame)
            elpd = frame["elpd_loo"].to_numpy()
            comparable = (
                n == len(reference)
                and frame["data_fingerprint"].iloc[0] == reference["data_fingerprint"].iloc[0]
            )
            if analysis == best:
                diff, diff_se, compared_on = 0.0, 0.0, best
            elif comparable:
                difference = elpd - reference["elpd_loo"].to_numpy()
                diff = float(difference.sum())
                diff_se = float(np.sqrt(n * np.var(difference, ddof=1)))
                compared_on = best
            else:
                diff, diff_se, compared_on = (
                    np.nan,
                    np.nan,
                    f"not comparable with {best}: other rows",
                )
            check = checks.loc[(analysis, subset)] if (analysis, subset) in checks.index else None
            rows.append(
                {
                    "outcome": outcome,
                    "subset": subset,
                    "analysis": analysis,
                    "n_observations": n,
                    "elpd_loo": float(elpd.sum()),
                    "elpd_loo_se": float(np.sqrt(n * np.var(elpd, ddof=1))),
                    "p_loo": float((frame["lppd"] - frame["elpd_loo"]).sum()),
                    "n_pareto_k_above_0_7": int((frame["pareto_k"] > PARETO_K_LIMIT).sum()),
                    "elpd_diff": diff,
                    "elpd_diff_se": diff_se,
                    "compared_on": compared_on,
                    "ppc_statistics": None if check is None else int(check["ppc_statistics"]),
                    "ppc_outside_90": None if check is None else int(check["ppc_outside_90"]),
                }
            )
    return pd.DataFrame(rows, columns=list(COMPARISON_COLUMNS))
