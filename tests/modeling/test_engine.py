from __future__ import annotations

import pytest

from orchestration.modeling.engine import (
    DEFAULT,
    PAPER,
    PAPER_LONG,
    QUICK,
    choose_engine,
    cmdstan_available,
    profile_for,
    program_path,
    sample,
)


def test_profiles_follow_the_paper() -> None:
    assert (QUICK.chains, QUICK.warmup, QUICK.draws) == (2, 200, 200)
    assert profile_for("paper", "1a") is PAPER
    assert profile_for("paper", "1b") is PAPER
    assert (PAPER.chains, PAPER.warmup, PAPER.draws) == (4, 1000, 1000)
    assert profile_for("paper", "2") is PAPER_LONG
    assert profile_for("paper", "3").draws == 3000
    assert profile_for("default", "3") is DEFAULT
    with pytest.raises(ValueError, match="'slow'"):
        profile_for("slow", "1a")


def test_engine_choice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRISM_STAN_ENGINE", "cmdstanpy")
    assert choose_engine() == "cmdstanpy"
    monkeypatch.setenv("PRISM_STAN_ENGINE", " PyStan ")
    assert choose_engine() == "pystan"
    monkeypatch.setenv("PRISM_STAN_ENGINE", "rstan")
    with pytest.raises(ValueError, match="rstan"):
        choose_engine()
    monkeypatch.delenv("PRISM_STAN_ENGINE")
    assert choose_engine() == ("cmdstanpy" if cmdstan_available() else "pystan")


def test_programs_resolve_under_stan_dir() -> None:
    for program in ("bernoulli_nested", "gaussian_nested", "gaussian_nested_marginal"):
        assert program_path(program).read_text().startswith("// ")
    with pytest.raises(FileNotFoundError, match="missing.stan"):
        program_path("missing")
    with pytest.raises(ValueError, match="'rstan'"):
        sample("gaussian_nested", {}, QUICK, engine="rstan")  # type: ignore[arg-type]
