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
    with_overrides,
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


def test_overrides_replace_single_fields_and_rename_the_profile() -> None:
    assert with_overrides(DEFAULT) is DEFAULT
    custom = with_overrides(PAPER_LONG, chains=2, adapt_delta=0.95, seed=0)
    assert (custom.chains, custom.warmup, custom.draws) == (2, 1000, 3000)
    assert (custom.adapt_delta, custom.seed) == (0.95, 0)
    assert custom.name == "paper+adapt_delta=0.95,chains=2,seed=0"
    with pytest.raises(ValueError, match="out of range"):
        with_overrides(DEFAULT, draws=0)
    with pytest.raises(ValueError, match="adapt_delta"):
        with_overrides(DEFAULT, adapt_delta=1.0)


def test_stan_settings_apply_overrides_per_analysis() -> None:
    from orchestration.resources import StanSettings

    settings = StanSettings(profile="paper", warmup=300, adapt_delta=0.9)
    one_a, two = settings.sampling_profile("1a"), settings.sampling_profile("2")
    assert (one_a.chains, one_a.warmup, one_a.draws, one_a.adapt_delta) == (4, 300, 1000, 0.9)
    assert (two.warmup, two.draws) == (300, 3000)
    assert StanSettings(profile="quick").sampling_profile("3") is QUICK


def test_engine_choice() -> None:
    assert choose_engine("cmdstanpy") == "cmdstanpy"
    assert choose_engine(" PyStan ") == "pystan"
    with pytest.raises(ValueError, match="rstan"):
        choose_engine("rstan")
    assert choose_engine("auto") == ("cmdstanpy" if cmdstan_available() else "pystan")


def test_programs_resolve_under_stan_dir() -> None:
    for program in ("bernoulli_nested", "gaussian_nested", "gaussian_nested_marginal"):
        assert program_path(program).read_text().startswith("// ")
    with pytest.raises(FileNotFoundError, match="missing.stan"):
        program_path("missing")
    with pytest.raises(ValueError, match="'rstan'"):
        sample("gaussian_nested", {}, QUICK, engine="rstan")  # type: ignore[arg-type]
