"""Posterior summaries, fit diagnostics, the paper's hypothesis tables, and the comparison.

Convergence statistics come from ArviZ (rank-normalised split R-hat, bulk and tail ESS,
E-BFMI). One-sided hypotheses follow brms ``hypothesis()``: the interval is the 5-95%
equal-tailed one, the posterior probability is the share of draws on the hypothesised side,
and the evidence ratio is P(H) / P(not H) from the draws. When every draw agrees the ratio is
``inf`` (brms prints "Inf"; the paper's footnote equates that with the number of draws).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import xarray as xr

from .specs import ATTRIBUTES, MODERATORS, PAPER_IDS, PROMPT_PREFIXES

# Scalars reported beside the coefficients (b_Intercept is the uncentred intercept).
SCALARS: tuple[str, ...] = (
    "b_Intercept",
    "sd_model",
    "sd_user",
    "sd_conv",
    "sigma",
    "phi",  # beta precision
    "share_bottom",  # rounded log-logistic: ratings of 1 whatever the latent rating
    "share_default",  # and ratings left at the slider's default
)
# The parameters whose convergence a fit is judged on, like the paper: every estimate, the
# variance components included.
CHECKED: tuple[str, ...] = (
    "b",
    "Intercept",
    "sd_model",
    "sd_user",
    "sd_conv",
    "sigma",
    "tau",
    "phi",
    "share",
)
# A choice model's participant-level slope sds (`tau`) are reported as one row per term, named
# with this prefix: ``sd_slope_reasoning_nuance``.
SLOPE_SD_PREFIX = "sd_slope_"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "analysis",
    "subset",
    "term",
    "mean",
    "sd",
    "q5",
    "q50",
    "q95",
    "hypothesis",
    "post_prob",
    "evidence_ratio",
    "r_hat",
    "ess_bulk",
    "ess_tail",
    "engine",
    "data_fingerprint",
)


@dataclass(frozen=True)
class DiagnosticThresholds:
    max_r_hat: float = 1.01
    min_ess: float = 400.0
    min_ebfmi: float = 0.3

    def describe(self) -> str:
        return (
            f"R-hat <= {self.max_r_hat}, bulk and tail ESS >= {self.min_ess:.0f}, "
            f"no divergences, E-BFMI > {self.min_ebfmi}"
        )


def evidence(draws: np.ndarray, sign: str) -> tuple[float, float]:
    """(posterior probability of `sign` ('>' or '<' zero), evidence ratio) from draws."""
    flat = np.asarray(draws).ravel()
    if sign == ">":
        hits = int((flat > 0).sum())
    elif sign == "<":
        hits = int((flat < 0).sum())
    else:
        raise ValueError(f"hypothesis sign must be '>' or '<', not {sign!r}")
    misses = flat.size - hits
    ratio = math.inf if misses == 0 else hits / misses
    return hits / flat.size, ratio


def mark(evidence_ratio: float) -> str:
    """The paper's marks: '*' above 100 ("extreme"), '†' above 10."""
    if evidence_ratio > 100:
        return "*"
    if evidence_ratio > 10:
        return "†"
    return ""


def posterior_summary(
    idata: az.InferenceData,
    *,
    analysis: str,
    subset: str,
    terms: tuple[str, ...],
    engine: str,
    fingerprint: str,
    signs: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """One row per coefficient (in `terms` order), then one per scalar in `SCALARS`.

    A coefficient's hypothesis is `signs[term]` when given (the paper's direction), else the
    sign of its posterior mean, as the paper chose them.
    """
    post = idata.posterior
    b = post["b"].transpose("chain", "draw", ...).values
    if b.shape[-1] != len(terms):
        raise ValueError(f"{analysis}/{subset}: {b.shape[-1]} coefficients, {len(terms)} terms")
    signs = signs or {}
    rows = []
    for k, term in enumerate(terms):
        draws = b[:, :, k]
        sign = signs.get(paper_term(term)) or (">" if draws.mean() >= 0 else "<")
        prob, ratio = evidence(draws, sign)
        rows.append(_row(term, draws, sign, prob, ratio))
    for name in SCALARS:
        if name in post:
            draws = post[name].transpose("chain", "draw").values
            rows.append(_row(name, draws, None, None, None))
    if "tau" in post and post["tau"].size:
        tau = post["tau"].transpose("chain", "draw", ...).values
        for k, term in enumerate(terms):
            rows.append(_row(SLOPE_SD_PREFIX + term, tau[:, :, k], None, None, None))
    frame = pd.DataFrame(rows)
    frame.insert(0, "subset", subset)
    frame.insert(0, "analysis", analysis)
    frame["engine"] = engine
    frame["data_fingerprint"] = fingerprint
    return frame[list(SUMMARY_COLUMNS)]


def _row(
    term: str, draws: np.ndarray, sign: str | None, prob: float | None, ratio: float | None
) -> dict[str, object]:
    q5, q50, q95 = np.quantile(draws, [0.05, 0.5, 0.95])
    return {
        "term": term,
        "mean": float(draws.mean()),
        "sd": float(draws.std(ddof=1)),
        "q5": float(q5),
        "q50": float(q50),
        "q95": float(q95),
        "hypothesis": sign,
        "post_prob": prob,
        "evidence_ratio": ratio,
        "r_hat": float(az.rhat(draws)),
        "ess_bulk": float(az.ess(draws, method="bulk")),
        "ess_tail": float(az.ess(draws, method="tail")),
    }


@dataclass(frozen=True)
class FitDiagnostics:
    """Worst-case convergence statistics of one fit over the parameters in `CHECKED`."""

    max_r_hat: float
    min_ess_bulk: float
    min_ess_tail: float
    divergences: int
    min_ebfmi: float
    treedepth_hits: int  # transitions that hit the maximum tree depth (reported, not failed)
    n_draws: int
    # What the sampling cost, after warmup: leapfrog steps (gradients), mean tree depth and the
    # adapted step size averaged over chains.
    n_leapfrog: int = -1
    mean_tree_depth: float = float("nan")
    mean_step_size: float = float("nan")

    def verdicts(self, limits: DiagnosticThresholds | None = None) -> dict[str, bool]:
        limits = limits or DiagnosticThresholds()
        checks = {
            "r_hat_ok": self.max_r_hat <= limits.max_r_hat,
            "ess_ok": min(self.min_ess_bulk, self.min_ess_tail) >= limits.min_ess,
            "divergences_ok": self.divergences == 0,
            "ebfmi_ok": self.min_ebfmi > limits.min_ebfmi,
        }
        return checks | {"passed": all(checks.values())}

    def as_row(self, limits: DiagnosticThresholds | None = None) -> dict[str, object]:
        return asdict(self) | self.verdicts(limits)


def fit_diagnostics(idata: az.InferenceData, *, max_treedepth: int) -> FitDiagnostics:
    names = [n for n in CHECKED if n in idata.posterior and idata.posterior[n].size]
    stats = idata.sample_stats
    return FitDiagnostics(
        max_r_hat=_extreme(az.rhat(idata, var_names=names), np.max),
        min_ess_bulk=_extreme(az.ess(idata, var_names=names, method="bulk"), np.min),
        min_ess_tail=_extreme(az.ess(idata, var_names=names, method="tail"), np.min),
        divergences=int(stats["diverging"].values.sum()),
        min_ebfmi=float(np.min(az.bfmi(idata))),
        treedepth_hits=int((stats["tree_depth"].values >= max_treedepth).sum()),
        n_draws=int(stats.sizes["chain"] * stats.sizes["draw"]),
        # Both engines report these; hand-built draws (tests) may not.
        n_leapfrog=int(stats["n_steps"].values.sum()) if "n_steps" in stats else -1,
        mean_tree_depth=float(stats["tree_depth"].values.mean()),
        mean_step_size=float(stats["step_size"].values.mean()) if "step_size" in stats else np.nan,
    )


def _extreme(dataset: xr.Dataset, pick: Callable[[np.ndarray], np.floating]) -> float:
    values = np.concatenate([np.ravel(v.values) for v in dataset.data_vars.values()])
    return float(pick(values))


def hypothesis_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The coefficients in the paper's table format (Est, Est.Error, 5-95% CI, BF, P, mark)."""
    coefs = summary[summary["hypothesis"].notna()]
    return pd.DataFrame(
        {
            "analysis": coefs["analysis"],
            "subset": coefs["subset"],
            "term": coefs["term"],
            "hypothesis": coefs["term"] + " " + coefs["hypothesis"] + " 0",
            "estimate": coefs["mean"],
            "est_error": coefs["sd"],
            "ci_lower": coefs["q5"],
            "ci_upper": coefs["q95"],
            "evidence_ratio": coefs["evidence_ratio"],
            "post_prob": coefs["post_prob"],
            "mark": coefs["evidence_ratio"].map(mark),
        }
    ).reset_index(drop=True)


def format_evidence_ratio(value: float) -> str:
    """As the paper prints it: 'Inf', '3,999', '1,332.333', '0.592'."""
    if math.isinf(value):
        return "Inf"
    return f"{value:,.3f}".removesuffix(".000")


def render_hypothesis_table(table: pd.DataFrame) -> str:
    """Markdown, one line per hypothesis, with the paper's rounding."""
    lines = [
        "| subset | hypothesis | Est. | Est.Error | CI.Lower | CI.Upper | Evid.Ratio | Post.Prob "
        "| |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in table.itertuples(index=False):
        lines.append(
            f"| {row.subset} | {row.hypothesis} | {row.estimate:.3f} | {row.est_error:.3f} "
            f"| {row.ci_lower:.3f} | {row.ci_upper:.3f} "
            f"| {format_evidence_ratio(row.evidence_ratio)} | {row.post_prob:.3f} | {row.mark} |"
        )
    return "\n".join(lines)


# --- the paper's published estimates -------------------------------------------------------

_SUBSET_ALIASES = {
    "all": "all",
    "all data": "all",
    "unguided": "unguided",
    "values guided": "values guided",
    "value guided": "values guided",
    "controversy guided": "controversy guided",
}
_MODERATOR_ALIASES = {m.removeprefix("is_").removeprefix("has_"): m for m in MODERATORS}


def normalise_subset(paper_id: str, subset: str) -> str:
    """The seed's subset spelled as ours ('values-guided' -> 'values guided', DV names)."""
    text = re.sub(r"[-_]+", " ", subset.strip().lower())
    if paper_id == "3":
        dv = normalise_attribute(text)
        return f"response_{dv}"
    if text not in _SUBSET_ALIASES:
        raise ValueError(f"unknown subset {subset!r} for analysis {paper_id}")
    return _SUBSET_ALIASES[text]


def normalise_attribute(text: str) -> str:
    name = re.sub(r"[\s/\-]+", "_", text.strip().lower()).removeprefix("response_")
    if name not in ATTRIBUTES:
        raise ValueError(f"unknown attribute {text!r}")
    return name


def normalise_term(paper_id: str, term: str) -> str:
    """The seed's term spelled as ours: 'TOXICITY_human' -> 'opening_prompt_toxicity',
    'younger:TOXICITY' -> 'is_younger:toxicity', 'TOXICITY x TOXICITY_HUMAN' ->
    'toxicity:opening_prompt_toxicity'."""
    parts = [p for p in re.split(r"\s*(?::|\bx\b|×|\*)\s*", term.strip().lower()) if p]
    out = []
    for part in parts:
        part = re.sub(r"[\s/\-]+", "_", part)
        if part in MODERATORS:
            out.append(part)
        elif part in _MODERATOR_ALIASES:
            out.append(_MODERATOR_ALIASES[part])
        elif part.endswith("_human") or part.startswith("opening_prompt_"):
            bare = part.removesuffix("_human").removeprefix("opening_prompt_")
            out.append(f"opening_prompt_{normalise_attribute(bare)}")
        else:
            out.append(normalise_attribute(part))
    if paper_id == "2" and len(out) == 2 and out[1] in MODERATORS:
        out.reverse()
    return ":".join(out)


def read_paper_estimates(path: Path) -> pd.DataFrame:
    """The seed CSV (``dbt_project/seeds/paper_estimates.csv``), normalised."""
    return normalise_paper_estimates(pd.read_csv(path, dtype={"analysis": str}))


def normalise_paper_estimates(seed: pd.DataFrame) -> pd.DataFrame:
    """The seed (``marts.paper_estimates`` or its CSV) with `subset`, `term` and `sign` ('>'/'<')
    normalised to our names."""
    seed = seed.copy()
    seed["analysis"] = seed["analysis"].astype(str).str.strip()
    ids = seed["analysis"]
    seed["subset"] = [normalise_subset(a, s) for a, s in zip(ids, seed["subset"], strict=True)]
    seed["term"] = [normalise_term(a, t) for a, t in zip(ids, seed["term"], strict=True)]
    seed["sign"] = seed["hypothesis"].map(_sign_of)
    return seed


def _sign_of(hypothesis: object) -> str | None:
    if not isinstance(hypothesis, str):
        return None
    if "<" in hypothesis:
        return "<"
    return ">" if ">" in hypothesis else None


def paper_term(term: str) -> str:
    """Our term as the paper names it: a same-turn prompt term (`prompt_<a>`, when a fit reads
    the same turn's prompt) stands where the paper has the opening prompt's."""
    same_turn, opening = PROMPT_PREFIXES["same_turn"], PROMPT_PREFIXES["opening"]
    return ":".join(
        opening + part.removeprefix(same_turn) if part.startswith(same_turn) else part
        for part in term.split(":")
    )


def paper_signs(paper: pd.DataFrame, analysis: str, subset: str) -> dict[str, str]:
    """The paper's hypothesised direction per term for one of our fits (`paper_term` names)."""
    rows = paper[(paper["analysis"] == PAPER_IDS[analysis]) & (paper["subset"] == subset)]
    return {t: s for t, s in zip(rows["term"], rows["sign"], strict=True) if isinstance(s, str)}


def compare_with_paper(summary: pd.DataFrame, paper: pd.DataFrame) -> pd.DataFrame:
    """Our estimate beside every term the paper reports that we fitted.

    ``diff_in_sd`` is (our mean - paper's estimate) / paper's Est.Error (our sd when the paper
    gives none): how many of the paper's posterior standard deviations apart the two are.
    """
    ours = summary[summary["hypothesis"].notna()].copy()
    ours["paper_id"] = ours["analysis"].map(PAPER_IDS)
    ours["our_term"] = ours["term"]
    ours["term"] = ours["term"].map(paper_term)
    # The interaction model repeats 1b's main effects; the paper reports only its interaction.
    is_extra = (ours["analysis"] == "log_score_toxicity_interaction") & ~ours["term"].str.contains(
        ":"
    )
    ours = ours[~is_extra]
    merged = paper.merge(
        ours,
        left_on=["analysis", "subset", "term"],
        right_on=["paper_id", "subset", "term"],
        suffixes=("_paper", ""),
        how="inner",
    )
    error = merged["est_error"].where(merged["est_error"] > 0, merged["sd"])
    return pd.DataFrame(
        {
            "analysis": merged["analysis"],
            "paper_analysis": merged["paper_id"],
            "subset": merged["subset"],
            "term": merged["our_term"],
            "hypothesis": merged["hypothesis_paper"],
            "paper_estimate": merged["estimate"],
            "paper_est_error": merged["est_error"],
            "paper_ci_lower": merged["ci_lower"],
            "paper_ci_upper": merged["ci_upper"],
            "paper_evidence_ratio": merged["evidence_ratio_paper"],
            "paper_mark": merged["mark"].fillna(""),
            "estimate": merged["mean"],
            "est_error": merged["sd"],
            "ci_lower": merged["q5"],
            "ci_upper": merged["q95"],
            "evidence_ratio": merged["evidence_ratio"],
            "mark": merged["evidence_ratio"].map(mark),
            "difference": merged["mean"] - merged["estimate"],
            "diff_in_sd": (merged["mean"] - merged["estimate"]) / error,
            "same_sign": np.sign(merged["mean"]) == np.sign(merged["estimate"]),
        }
    )
