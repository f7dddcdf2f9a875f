"""Posterior predictive checks: does a fitted model produce data that look like the data?

For a subsample of posterior draws the fit's model generates a replicated outcome for every row
it was fitted on, and a few statistics that matter for the outcome are computed on the observed
and on each replicated outcome. The participant and conversation intercepts are drawn afresh
from their fitted sds (the marginal Gaussian program integrates them out, so there are no fitted
values to reuse), which checks the whole hierarchical model, not only its residuals.

Statistics per family:
- Gaussian on log score (1b, its toxicity interaction, 2): the mean and sd, the share of
  responses at the slider's heaps, as intervals of log score that only a rating of exactly 1,
  exactly 50 or exactly 100 reaches (|score - heap| < 0.5): a continuous model puts little mass
  there, the data put a lot; and the share of values that no score on 1..100 can give. The
  rounded log-logistic (beyond the paper) gets the same statistics of the log of its score.
- Gaussian or beta on a probability (3 and its beta twin): the mean, sd, 5% and 95% quantiles
  and median (Perspective probabilities pile up near 0), and the share of replicated values
  outside [0, 1], where no Perspective probability can fall.
- Bernoulli (1a): the share of interactions with no top-scored option, exactly one, and more than
  one; PRISM's interactions always have at least one.
- Choice (the conditional logit): for each attribute, the mean of the picked option's value
  minus its set's mean, which is what the coefficients are fitted to reproduce.

Each statistic gets the observed value, the replicated mean and 90% interval, and the posterior
predictive p-value, mid-p: Pr(replicated > observed) + Pr(replicated = observed) / 2. Near 0 or 1
flags a misfit. The half weight on ties matters for statistics that are often exactly equal (the
share of a bounded fit's replicated values outside their range is 0, as observed: mid-p 0.5, where
Pr(replicated >= observed) would read 1, a false alarm).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from .choice import ChoiceData
from .data import FitData, NestedData, ScoreData
from .specs import Family

PPC_DRAWS = 100
HEAPS: dict[str, float] = {"score_1": 1.0, "score_50": 50.0, "score_100": 100.0}
PPC_COLUMNS: tuple[str, ...] = (
    "analysis",
    "subset",
    "statistic",
    "observed",
    "replicated_mean",
    "replicated_q5",
    "replicated_q95",
    "ppp",
)


def _draws(posterior: xr.Dataset, name: str, keep: np.ndarray) -> np.ndarray:
    values = posterior[name]
    flat = values.values.reshape(values.sizes["chain"] * values.sizes["draw"], *values.shape[2:])
    return flat[keep]


def _nested_predictor(
    record: NestedData, posterior: xr.Dataset, keep: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """draws x rows: the linear predictor with new participant and conversation intercepts."""
    X = np.asarray(record.X, dtype=float).reshape(record.N, record.K)
    eta = _draws(posterior, "b_Intercept", keep)[:, None] + _draws(posterior, "b", keep) @ X.T
    eta += _draws(posterior, "r_model", keep)[:, np.asarray(record.J_model) - 1]
    n = keep.size
    sd_user = _draws(posterior, "sd_user", keep)[:, None]
    sd_conv = _draws(posterior, "sd_conv", keep)[:, None]
    user = rng.standard_normal((n, record.N_user)) * sd_user
    conv = rng.standard_normal((n, record.N_conv)) * sd_conv
    J_conv = np.asarray(record.J_conv) - 1
    eta += user[:, np.asarray(record.J_conv_user)[J_conv] - 1] + conv[:, J_conv]
    return eta


def replicate(
    data: FitData, posterior: xr.Dataset, draws: int = PPC_DRAWS, seed: int = 0
) -> np.ndarray:
    """draws x rows of replicated outcomes under the fit's model."""
    rng = np.random.default_rng(seed)
    total = posterior.sizes["chain"] * posterior.sizes["draw"]
    keep = np.linspace(0, total - 1, min(draws, total)).round().astype(int)
    record = data.stan
    if isinstance(record, ChoiceData):
        return _replicate_choice(record, posterior, keep, rng)
    eta = _nested_predictor(record, posterior, keep, rng)
    family = data.spec.family
    if family is Family.BERNOULLI:
        return (rng.random(eta.shape) < 1.0 / (1.0 + np.exp(-eta))).astype(float)
    if family is Family.BETA:
        mean = 1.0 / (1.0 + np.exp(-eta))
        phi = _draws(posterior, "phi", keep)[:, None]
        return rng.beta(mean * phi, (1.0 - mean) * phi)
    sigma = _draws(posterior, "sigma", keep)[:, None]
    if family is Family.ROUNDED_LOGLOGISTIC:
        # Logistic noise with sd sigma.
        latent = eta + rng.logistic(0.0, 1.0, eta.shape) * sigma * np.sqrt(3.0) / np.pi
        return _recorded_scores(latent, record, posterior, keep, rng)
    return eta + rng.standard_normal(eta.shape) * sigma


def _recorded_scores(
    latent: np.ndarray,
    record: NestedData,
    posterior: xr.Dataset,
    keep: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Scores from latent log ratings as ``rounded_loglogistic_nested`` records them: rounded,
    kept within 1..max_score, and replaced by 1 or the default with the heaps' shares."""
    assert isinstance(record, ScoreData)
    score = np.clip(np.rint(np.exp(np.minimum(latent, 10.0))), 1, record.max_score)
    u = rng.random(latent.shape)
    bottom = _draws(posterior, "share_bottom", keep)[:, None]
    default = _draws(posterior, "share_default", keep)[:, None]
    score[u < bottom] = 1
    score[(u >= bottom) & (u < bottom + default)] = record.default_score
    return score


def _replicate_choice(
    record: ChoiceData, posterior: xr.Dataset, keep: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    X = np.asarray(record.X, dtype=float).reshape(record.N, record.K)
    eta = _draws(posterior, "b", keep) @ X.T
    eta += _draws(posterior, "r_model", keep)[:, np.asarray(record.J_model) - 1]
    set_of = np.repeat(np.arange(record.S), np.diff(record.set_start))
    if record.random_slopes:
        slopes = (
            _draws(posterior, "z_slope", keep) * _draws(posterior, "tau_signed", keep)[:, None, :]
        )
        user = np.asarray(record.J_set_user)[set_of] - 1
        eta += np.einsum("dnk,nk->dn", slopes[:, user, :], X)
    noisy = eta + rng.gumbel(size=eta.shape)
    picks = np.zeros_like(eta)
    for d in range(eta.shape[0]):
        order = np.lexsort((noisy[d], set_of))
        last = np.r_[set_of[order][1:] != set_of[order][:-1], True]
        picks[d, order[last]] = 1.0
    return picks


def statistics(data: FitData) -> dict[str, Callable[[np.ndarray], float]]:
    """The statistics checked for this fit's outcome, each a function of an outcome vector."""
    record = data.stan
    if isinstance(record, ChoiceData):
        X = np.asarray(record.X, dtype=float).reshape(record.N, record.K)
        starts = np.asarray(record.set_start[:-1]) - 1
        sizes = np.diff(record.set_start)
        set_of = np.repeat(np.arange(record.S), sizes)
        centred = X - (np.add.reduceat(X, starts, axis=0) / sizes[:, None])[set_of]

        def picked(k: int) -> Callable[[np.ndarray], float]:
            # A tied top set counts as the mean of its options.
            def stat(y: np.ndarray) -> float:
                weight = y / np.add.reduceat(y, starts)[set_of]
                return float(np.sum(weight * centred[:, k]) / record.S)

            return stat

        return {f"picked_minus_set_mean:{t}": picked(k) for k, t in enumerate(data.terms)}
    if data.spec.family is Family.BERNOULLI:
        return _top_count_statistics(data)
    if data.spec.family is Family.ROUNDED_LOGLOGISTIC:
        # The recorded score, checked on the log scale so the rows match 1b's.
        return {
            name: lambda y, stat=stat: stat(np.log(y))
            for name, stat in _log_score_statistics().items()
        }
    if data.spec.outcome == "log_score":
        return _log_score_statistics()
    return {
        "mean": lambda y: float(np.mean(y)),
        "sd": lambda y: float(np.std(y)),
        # A Perspective probability is skewed towards 0: a symmetric family misses the quantiles.
        "q05": lambda y: float(np.quantile(y, 0.05)),
        "median": lambda y: float(np.median(y)),
        "q95": lambda y: float(np.quantile(y, 0.95)),
        "share_outside_0_1": lambda y: float(np.mean((y < 0) | (y > 1))),
    }


def _log_score_statistics() -> dict[str, Callable[[np.ndarray], float]]:
    """Statistics of a log score: its mean and sd, the share at each heap (the interval of log
    score that only a rating of exactly that score reaches), and the share that no score on
    1..100 can give."""
    checks: dict[str, Callable[[np.ndarray], float]] = {
        "mean": lambda y: float(np.mean(y)),
        "sd": lambda y: float(np.std(y)),
    }
    for name, heap in HEAPS.items():
        low, high = np.log(max(heap - 0.5, 0.5)), np.log(heap + 0.5)
        checks[f"share_{name}"] = lambda y, lo=low, hi=high: float(np.mean((y >= lo) & (y < hi)))
    low, high = np.log(0.5), np.log(100.5)
    checks["share_outside_1_100"] = lambda y: float(np.mean((y < low) | (y >= high)))
    return checks


def _top_count_statistics(data: FitData) -> dict[str, Callable[[np.ndarray], float]]:
    """Shares of interactions with no, one, and several top-scored options (of those fitted)."""
    if data.interactions is None:
        return {"mean": lambda y: float(np.mean(y))}
    interaction = data.interactions
    n = int(interaction.max()) + 1

    def share(test: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], float]:
        return lambda y: float(np.mean(test(np.bincount(interaction, y, minlength=n))))

    return {
        "mean": lambda y: float(np.mean(y)),
        "share_interactions_no_top": share(lambda c: c == 0),
        "share_interactions_one_top": share(lambda c: c == 1),
        "share_interactions_several_tops": share(lambda c: c > 1),
    }


def check(data: FitData, posterior: xr.Dataset, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """The `PPC_COLUMNS` table for one fit, and the replicated outcomes it was computed on."""
    replicated = replicate(data, posterior, seed=seed)
    observed_y = np.asarray(data.stan.y, dtype=float)
    rows = []
    for name, statistic in statistics(data).items():
        observed = statistic(observed_y)
        values = np.array([statistic(y) for y in replicated])
        rows.append(
            {
                "analysis": data.spec.analysis,
                "subset": data.spec.subset,
                "statistic": name,
                "observed": observed,
                "replicated_mean": float(values.mean()),
                "replicated_q5": float(np.quantile(values, 0.05)),
                "replicated_q95": float(np.quantile(values, 0.95)),
                "ppp": float(np.mean(values > observed) + np.mean(values == observed) / 2),
            }
        )
    return pd.DataFrame(rows, columns=list(PPC_COLUMNS)), replicated


def ppc_plot(data: FitData, replicated: np.ndarray, table: pd.DataFrame, path: Path) -> Path:
    """Left: the outcome's observed distribution over 20 replicated ones (Gaussian fits) or the
    observed statistics (the others). Right: each statistic's posterior predictive p-value."""
    fig = Figure(figsize=(10, 3.8))
    left, right = fig.subplots(1, 2)
    observed_y = np.asarray(data.stan.y, dtype=float)
    if data.spec.family in (Family.GAUSSIAN, Family.BETA, Family.ROUNDED_LOGLOGISTIC):
        low, high = np.quantile(np.concatenate([observed_y, replicated[:20].ravel()]), [0, 1])
        bins = np.linspace(low, high, 60)
        for y in replicated[:20]:
            left.hist(y, bins=bins, histtype="step", color="tab:blue", alpha=0.3, density=True)
        left.hist(observed_y, bins=bins, histtype="step", color="black", lw=1.6, density=True)
        left.set_xlabel(data.spec.outcome)
        left.set_title("observed (black), replicated (blue)")
    else:
        counts = table[table["statistic"] != "mean"]
        left.barh(counts["statistic"], counts["observed"], color="0.3")
        left.set_title("observed statistics")
    y_positions = np.arange(len(table))
    right.barh(y_positions, table["ppp"], color="tab:blue")
    for edge in (0.05, 0.95):
        right.axvline(edge, color="tab:red", ls="--", lw=0.8)
    right.set_xlim(0, 1)
    right.set_yticks(y_positions, table["statistic"])
    right.set_xlabel("Pr(replicated > observed) + Pr(=) / 2; outside the red lines: misfit")
    fig.suptitle(f"{data.spec.analysis}: {data.spec.subset}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    return path
