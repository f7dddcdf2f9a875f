"""One adapter over the two ways to run the same ``stan/*.stan`` programs.

cmdstanpy runs when a CmdStan installation is found; otherwise PyStan, whose httpstan wheel
ships stanc and the Stan headers and compiles offline. ``PRISM_STAN_ENGINE=pystan|cmdstanpy``
forces one. Either way the draws come back as ArviZ ``InferenceData`` with the engine, its
versions and the wall times, so every summary downstream is engine-agnostic.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import multiprocessing
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import arviz as az

from orchestration.modeling.pystan_build import ensure_built
from orchestration.settings import REPO_ROOT

STAN_DIR = REPO_ROOT / "stan"
# Where cmdstanpy executables are kept unless the caller names a directory (the assets use
# data/stan_cache/cmdstanpy); PyStan keeps its own under ~/.cache/httpstan.
DEFAULT_CMDSTAN_BUILDS = Path.home() / ".cache" / "prism-warehouse" / "cmdstanpy"
Engine = Literal["pystan", "cmdstanpy"]


@dataclass(frozen=True)
class SamplingProfile:
    """How long to run NUTS. `draws` is per chain, after warmup."""

    name: str
    chains: int
    warmup: int
    draws: int
    seed: int = 20250305
    adapt_delta: float = 0.8
    max_treedepth: int = 10
    # Stan's warmup phases, in iterations (its defaults): step size only, then metric windows
    # doubling from `window`, then step size only again.
    init_buffer: int = 75
    window: int = 25
    term_buffer: int = 50


QUICK = SamplingProfile("quick", chains=2, warmup=200, draws=200)
# A short warmup is enough once the programs sample on data-scaled coordinates from starts near
# a point estimate: on the full-scale synthetic data the metric settles within the first two
# windows, and the draws after it pass every check (README, "Stan fits"). Draws differ by family:
# a Gaussian fit's draw costs about 15 leapfrog steps of an O(conversations) gradient, and the
# skewed sd of a variance component near zero wants many of them for a tail ESS of 400; a 1a
# draw costs about 30 steps of an O(responses) gradient and mixes well. The draws leave each check
# a margin of about 1.5x at its worst: in the full-scale `make run` of 2026-12-03 at 800 and 600
# draws every Gaussian fit's tail ESS was 1,800-2,100 but one (870), and 1a's 1,350-1,630.
# adapt_delta 0.9 rather than Stan's 0.8: at 0.8 the moderation fit had one divergent transition
# in 3,200 draws on the full-scale synthetic data, and the all-data 1a fit an R-hat of 1.0101.
DEFAULT = SamplingProfile(
    "default",
    chains=4,
    warmup=200,
    draws=600,
    adapt_delta=0.9,
    init_buffer=40,
    window=20,
    term_buffer=40,
)
DEFAULT_1A = replace(DEFAULT, draws=400)
# The bounded families beyond the paper (a rounded log-logistic score, beta mirroring) sample the
# participant and conversation intercepts as 1a does, but their outcomes pin each intercept far
# more than a coin does, and the participant and conversation sds then mix slowly: at full scale
# under 1a's 4 x (200 + 400) their bulk ESS was 85-174, about 0.05-0.1 effective draws a draw.
# Hence a longer warmup and 1,000 draws a chain.
DEFAULT_BOUNDED = replace(DEFAULT, warmup=500, draws=1000)
# The conditional logit of the top pick (beyond the paper): about one effective draw per draw on
# the full-scale synthetic data, so 4 x 400 leaves its checks a wide margin.
DEFAULT_CHOICE = replace(DEFAULT, draws=400)
# The mixed logit: its participant slope sds are weakly identified by a few dozen choices per
# participant and mix slowly (bulk ESS 15-25 from 400 draws after a 200-iteration warmup at full
# scale), so it gets Stan's standard warmup and 1,000 draws a chain.
DEFAULT_CHOICE_MIXED = SamplingProfile(
    "default", chains=4, warmup=1000, draws=1000, adapt_delta=0.9
)
# The paper: 4 chains x 1,000 warmup; 1,000 draws for 1a/1b, 3,000 for analyses 2 and 3.
PAPER = SamplingProfile("paper", chains=4, warmup=1000, draws=1000)
PAPER_LONG = SamplingProfile("paper", chains=4, warmup=1000, draws=3000)


def profile_for(name: str, paper_id: str) -> SamplingProfile:
    """The named preset (`quick`, `default`, `paper`) for an analysis id ('1a', '2', ...) or a
    beyond-the-paper model (`AnalysisSpec.profile_key`: 'choice', 'choice_mixed', 'bounded')."""
    if name == "paper":
        return PAPER_LONG if paper_id in ("2", "3") else PAPER
    if name == "default" and paper_id == "1a":
        return DEFAULT_1A
    if name == "default" and paper_id == "bounded":
        return DEFAULT_BOUNDED
    if name == "default" and paper_id == "choice":
        return DEFAULT_CHOICE
    if name == "default" and paper_id == "choice_mixed":
        return DEFAULT_CHOICE_MIXED
    presets = {"quick": QUICK, "default": DEFAULT}
    if name not in presets:
        raise ValueError(f"unknown sampling profile {name!r}; expected quick, default or paper")
    return presets[name]


def with_overrides(profile: SamplingProfile, **fields: int | float) -> SamplingProfile:
    """`profile` with some fields replaced; its name says so, so no fit passes as the preset."""
    if not fields:
        return profile
    bad = {k: v for k, v in fields.items() if k != "seed" and v <= 0}
    if bad or not 0 < fields.get("adapt_delta", 0.5) < 1:
        raise ValueError(
            f"sampling overrides out of range: {fields} (counts must be positive, "
            "adapt_delta in (0, 1))"
        )
    name = profile.name + "+" + ",".join(f"{k}={v}" for k, v in sorted(fields.items()))
    return replace(profile, name=name, **fields)


@dataclass(frozen=True)
class SampleResult:
    idata: az.InferenceData
    engine: Engine
    engine_version: str
    compile_seconds: float  # build/compile (near zero when cached) plus loading the data
    sample_seconds: float


def program_path(program: str, stan_dir: Path = STAN_DIR) -> Path:
    path = stan_dir / f"{program}.stan"
    if not path.is_file():
        raise FileNotFoundError(f"no Stan program {path}")
    return path


def cmdstan_available() -> bool:
    import cmdstanpy

    try:
        cmdstanpy.cmdstan_path()
    except ValueError:
        return False
    return True


def choose_engine(setting: str = "auto") -> Engine:
    """``pystan`` or ``cmdstanpy`` as ``setting`` says; ``auto`` takes CmdStan when installed."""
    forced = setting.strip().lower()
    if forced in ("pystan", "cmdstanpy"):
        return forced  # type: ignore[return-value]
    if forced != "auto":
        raise ValueError(f"PRISM_STAN_ENGINE={setting!r}: expected pystan, cmdstanpy or auto")
    return "cmdstanpy" if cmdstan_available() else "pystan"


def sample(
    program: str,
    data: Mapping[str, Any],
    profile: SamplingProfile,
    *,
    engine: Engine | None = None,
    coords: Mapping[str, list[Any]] | None = None,
    dims: Mapping[str, list[str]] | None = None,
    inits: Sequence[Mapping[str, Any]] | None = None,
    cmdstan_builds: Path = DEFAULT_CMDSTAN_BUILDS,
    stan_dir: Path = STAN_DIR,
    save_warmup: bool = False,
    log_likelihood: str | None = None,
) -> SampleResult:
    """Compile (or reuse) `program` and draw from its posterior with NUTS.

    `engine` None means `choose_engine("auto")`. `inits` holds one dict of starting values per
    chain (`inits.initial_values`); without it each engine draws its own uniform(-2, 2) starts
    on the unconstrained scale. `cmdstan_builds` is where cmdstanpy keeps its executables.
    `stan_dir` holds the programs (benchmarks point it at an earlier revision's); with
    `save_warmup` the InferenceData also holds the warmup draws and sampler statistics;
    `log_likelihood` names the generated quantity that ArviZ files as the log likelihood (for
    LOO) rather than as a posterior variable.
    """
    engine = engine or choose_engine()
    coords = dict(coords or {})
    dims = dict(dims or {})
    starts = [dict(chain) for chain in inits] if inits is not None else None
    if starts is not None and len(starts) != profile.chains:
        raise ValueError(f"{len(starts)} sets of initial values for {profile.chains} chains")
    if engine == "pystan":
        source = program_path(program, stan_dir)
        return _in_loop_free_thread(
            _sample_pystan, source, data, profile, coords, dims, starts, save_warmup, log_likelihood
        )
    if engine == "cmdstanpy":
        source = program_path(program, stan_dir)
        return _sample_cmdstanpy(
            source, data, profile, coords, dims, starts, cmdstan_builds, save_warmup, log_likelihood
        )
    raise ValueError(f"unknown engine {engine!r}")


def _in_loop_free_thread(fn: Any, *args: Any) -> SampleResult:
    # PyStan drives httpstan with asyncio.run(), which refuses to start inside a running event
    # loop (Jupyter, async callers), so such callers get a worker thread with no loop.
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return fn(*args)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(fn, *args).result()


def _sample_pystan(
    source: Path,
    data: Mapping[str, Any],
    profile: SamplingProfile,
    coords: dict[str, list[Any]],
    dims: dict[str, list[str]],
    inits: list[dict[str, Any]] | None,
    save_warmup: bool,
    log_likelihood: str | None,
) -> SampleResult:
    import httpstan

    import stan

    start = time.perf_counter()
    # httpstan caches the compiled module by program text under ~/.cache/httpstan.
    code = source.read_text()
    ensure_built(code)
    model = stan.build(code, data=dict(data), random_seed=profile.seed)
    built = time.perf_counter()
    starts = {"init": inits} if inits is not None else {}
    fit = model.sample(
        num_chains=profile.chains,
        num_warmup=profile.warmup,
        num_samples=profile.draws,
        delta=profile.adapt_delta,
        max_depth=profile.max_treedepth,
        init_buffer=profile.init_buffer,
        window=profile.window,
        term_buffer=profile.term_buffer,
        **({"save_warmup": True} if save_warmup else {}),
        **starts,
    )
    done = time.perf_counter()
    if multiprocessing.parent_process() is not None:
        _release_httpstan_workers()
    # Named only when asked for: ArviZ then records a boolean attribute, which NetCDF refuses.
    convert: dict[str, Any] = {"save_warmup": True} if save_warmup else {}
    if log_likelihood:
        convert["log_likelihood"] = log_likelihood
    idata = az.from_pystan(
        posterior=fit, posterior_model=model, coords=coords, dims=dims, **convert
    )
    version = f"pystan {stan.__version__}, httpstan {httpstan.__version__}"
    return SampleResult(idata, "pystan", version, built - start, done - built)


def _release_httpstan_workers() -> None:
    """End httpstan's sampling processes and leave an idle pool in their place.

    httpstan keeps a module-level process pool whose workers are not daemons. When the process
    that sampled is itself a multiprocessing child (Dagster's multiprocess executor runs every
    step so), its exit handler joins those workers before the pool is shut down, and the step
    never exits. Only such children release the pool: elsewhere the workers are reused, because
    forking fresh ones from a process that has started threads is not safe.
    """
    import httpstan.services_stub as stub

    stub.executor.shutdown(wait=True)
    stub.executor = concurrent.futures.ProcessPoolExecutor(
        mp_context=multiprocessing.get_context("fork"), initializer=stub.init_worker
    )


def _sample_cmdstanpy(
    source: Path,
    data: Mapping[str, Any],
    profile: SamplingProfile,
    coords: dict[str, list[Any]],
    dims: dict[str, list[str]],
    inits: list[dict[str, Any]] | None,
    builds: Path,
    save_warmup: bool,
    log_likelihood: str | None,
) -> SampleResult:
    import cmdstanpy

    start = time.perf_counter()
    # One directory per program text, so an edited program never reuses a stale executable.
    digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
    build_dir = builds / f"{source.stem}-{digest}"
    build_dir.mkdir(parents=True, exist_ok=True)
    stan_file = build_dir / source.name
    if not stan_file.exists():
        shutil.copyfile(source, stan_file)
    model = cmdstanpy.CmdStanModel(stan_file=stan_file)
    built = time.perf_counter()
    fit = model.sample(
        data=dict(data),
        chains=profile.chains,
        parallel_chains=profile.chains,
        iter_warmup=profile.warmup,
        iter_sampling=profile.draws,
        seed=profile.seed,
        adapt_delta=profile.adapt_delta,
        max_treedepth=profile.max_treedepth,
        adapt_init_phase=profile.init_buffer,
        adapt_metric_window=profile.window,
        adapt_step_size=profile.term_buffer,
        inits=inits,
        # CmdStan writes 6 significant figures by default; keep full precision, as PyStan does.
        sig_figs=18,
        **({"save_warmup": True} if save_warmup else {}),
        show_progress=False,
    )
    done = time.perf_counter()
    convert: dict[str, Any] = {"save_warmup": True} if save_warmup else {}
    if log_likelihood:
        convert["log_likelihood"] = log_likelihood
    idata = az.from_cmdstanpy(posterior=fit, coords=coords, dims=dims, **convert)
    cmdstan = ".".join(map(str, cmdstanpy.cmdstan_version() or ()))
    version = f"cmdstanpy {cmdstanpy.__version__}, cmdstan {cmdstan}"
    return SampleResult(idata, "cmdstanpy", version, built - start, done - built)
