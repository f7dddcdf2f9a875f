"""cmdstanpy and PyStan run the same programs to the same draws.

Both engines drive the same Stan services with the same seed, chain ids and starting values, so
their chains agree to floating-point rounding, not only within Monte Carlo error. Needs a CmdStan
installation (``CMDSTAN`` or ``~/.cmdstan``); where there is none, it is reported as skipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.modeling.data import build_fit_data
from orchestration.modeling.engine import SamplingProfile, cmdstan_available, sample
from orchestration.modeling.inits import initial_values
from orchestration.modeling.specs import log_score_specs, top_scored_specs
from tests.modeling.simulate import Truth, simulate_outcome

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not cmdstan_available(), reason="no CmdStan installation found"),
]

PROFILE = SamplingProfile("agree", chains=2, warmup=150, draws=150, seed=5)
B = np.array([0.7, 0.1, -0.1, 0.3, 1.0, -0.4, -0.1])


@pytest.mark.parametrize(
    ("spec", "truth"),
    [
        (top_scored_specs()[0], Truth(-1.0, B, 0.3, 0.4, 0.4)),
        (log_score_specs()[0], Truth(3.3, B, 0.2, 0.3, 0.3, 0.6)),
    ],
    ids=["bernoulli_nested", "gaussian_nested_marginal"],
)
def test_same_draws_from_both_engines(spec, truth, tiny_snapshot: pd.DataFrame) -> None:
    record = simulate_outcome(build_fit_data(tiny_snapshot, spec).stan, truth, seed=2).data
    inits = initial_values(spec.program, record, PROFILE.chains, PROFILE.seed)
    runs = {
        engine: sample(spec.program, record.to_stan(), PROFILE, engine=engine, inits=inits)
        for engine in ("pystan", "cmdstanpy")
    }
    assert runs["cmdstanpy"].engine_version.startswith("cmdstanpy")
    for name in ("b", "Intercept", "sd_user", "sd_conv"):
        np.testing.assert_allclose(
            runs["cmdstanpy"].idata.posterior[name].values,
            runs["pystan"].idata.posterior[name].values,
            rtol=1e-6,
            atol=1e-9,
            err_msg=name,
        )
