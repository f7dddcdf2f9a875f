"""What each of the paper's fits is: outcome, terms, row subset, family and Stan program.

Term names are lowercase. A term is a response attribute (``toxicity`` reads
``response_toxicity``), another snapshot column (``opening_prompt_toxicity``, ``is_younger``),
or a product of two of those written ``a:b`` (brms's interaction syntax).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Literal

ATTRIBUTES: tuple[str, ...] = (
    "toxicity",
    "affinity",
    "compassion",
    "curiosity",
    "reasoning_nuance",
    "personal_story",
    "respect",
)
MODERATORS: tuple[str, ...] = ("is_younger", "is_male", "is_white", "has_high_values")
CONVERSATION_TYPES: tuple[str, ...] = ("unguided", "values guided", "controversy guided")
ALL = "all"

# Which prompt a response is set beside (analysis 3 and the toxicity interaction): the
# conversation's opening prompt, as the paper describes, or the prompt of the response's own turn.
PromptChoice = Literal["opening", "same_turn"]
PROMPT_PREFIXES: dict[str, str] = {"opening": "opening_prompt_", "same_turn": "prompt_"}


class Family(StrEnum):
    BERNOULLI = "bernoulli"
    GAUSSIAN = "gaussian"
    # A softmax over each interaction's options (stan/conditional_logit.stan).
    CHOICE = "choice"
    # The 1-100 score as a rounded, censored, heaped log-logistic
    # (stan/rounded_loglogistic_nested.stan).
    ROUNDED_LOGLOGISTIC = "rounded_loglogistic"
    # A probability strictly inside (0, 1), logit link (stan/beta_nested.stan).
    BETA = "beta"


# The paper's analysis ids (the seed `paper_estimates.csv`) for our analysis names.
PAPER_IDS: dict[str, str] = {
    "top_scored": "1a",
    "log_score": "1b",
    "log_score_toxicity_interaction": "1b",
    "moderation": "2",
    "mirroring": "3",
}

GAUSSIAN_PROGRAMS = ("gaussian_nested_marginal", "gaussian_nested")
# The paper's sample (p. 4): English-language conversations by type, and their participants. It
# gives no per-fit row counts, so these sit beside each fit's own counts in fit_diagnostics.
PAPER_CONVERSATIONS: dict[str | None, int] = {
    None: 7960,
    "unguided": 3093,
    "values guided": 2440,
    "controversy guided": 2427,
}
PAPER_PARTICIPANTS = 1394
# Analyses that are not in the paper: models a statistician would set beside its fits.
BEYOND_PAPER = "beyond"
# The paper's analysis each beyond-the-paper analysis answers the same question as: its
# hypotheses take that analysis's directions, and the comparison tables set the two side by side.
COMPARED_WITH: dict[str, str] = {
    "top_choice": "top_scored",
    "top_choice_mixed": "top_scored",
    "log_score_rounded": "log_score",
    "mirroring_beta": "mirroring",
}
# The Stan program of each family but the Gaussian (which has two, `GAUSSIAN_PROGRAMS`).
PROGRAMS: dict[Family, str] = {
    Family.BERNOULLI: "bernoulli_nested",
    Family.CHOICE: "conditional_logit",
    Family.ROUNDED_LOGLOGISTIC: "rounded_loglogistic_nested",
    Family.BETA: "beta_nested",
}
# Families whose programs sample the participant and conversation intercepts (no marginal form).
SAMPLED_INTERCEPTS: frozenset[Family] = frozenset(
    {Family.BERNOULLI, Family.ROUNDED_LOGLOGISTIC, Family.BETA}
)


@dataclass(frozen=True)
class AnalysisSpec:
    """One fit: the regression of `outcome` on `terms` over the rows of `conversation_type`."""

    analysis: str
    subset: str
    family: Family
    outcome: str
    terms: tuple[str, ...]
    conversation_type: str | None = None
    # Which Gaussian program runs; both give the same posterior, the marginal one is faster.
    gaussian_program: str = "gaussian_nested_marginal"
    # Choice models only: participant-level random slopes on the terms (a mixed logit).
    random_slopes: bool = False

    def __post_init__(self) -> None:
        if self.gaussian_program not in GAUSSIAN_PROGRAMS:
            raise ValueError(f"unknown Gaussian program {self.gaussian_program!r}")
        if self.conversation_type not in (None, *CONVERSATION_TYPES):
            raise ValueError(f"unknown conversation type {self.conversation_type!r}")

    @property
    def program(self) -> str:
        """Stem of the Stan file under ``stan/``."""
        return PROGRAMS.get(self.family, self.gaussian_program)

    @property
    def paper_id(self) -> str:
        """The paper's analysis id, or `BEYOND_PAPER` for a model the paper did not fit."""
        return PAPER_IDS.get(self.analysis, BEYOND_PAPER)

    @property
    def profile_key(self) -> str:
        """What `engine.profile_for` reads: the paper's id, or the kind of choice model."""
        if self.family is Family.CHOICE:
            return "choice_mixed" if self.random_slopes else "choice"
        if not self.in_paper and self.family in SAMPLED_INTERCEPTS:
            return "bounded"
        return self.paper_id

    @property
    def paper_n_conversations(self) -> int | None:
        """The paper's count of the conversations this fit's subset covers."""
        return PAPER_CONVERSATIONS[self.conversation_type] if self.in_paper else None

    @property
    def paper_n_participants(self) -> int | None:
        """The paper's participant count, given for all conversations only."""
        return PAPER_PARTICIPANTS if self.in_paper and self.conversation_type is None else None

    @property
    def in_paper(self) -> bool:
        return self.analysis in PAPER_IDS

    @property
    def paper_analysis(self) -> str | None:
        """The paper's analysis this fit is read against (itself, if it is the paper's)."""
        return self.analysis if self.in_paper else COMPARED_WITH.get(self.analysis)

    @property
    def priority(self) -> int:
        """Relative sampling cost (higher samples longer), so a scheduler can start the costliest
        fits first: the Bernoulli fits keep ~9,400 intercepts as parameters, the Gaussian ones
        integrate them out; a subset has about a third of the rows."""
        costs = {Family.CHOICE: 300 if self.random_slopes else 30}
        costs |= dict.fromkeys(SAMPLED_INTERCEPTS, 100)
        cost = costs.get(self.family, 10 + len(self.terms))
        return cost if self.conversation_type is None else cost // 3

    def with_prompt(self, prompt: PromptChoice) -> AnalysisSpec:
        """This fit with its prompt-side terms read from `prompt`'s columns."""
        source, target = PROMPT_PREFIXES["opening"], PROMPT_PREFIXES[prompt]
        terms = tuple(
            ":".join(
                target + part.removeprefix(source) if part.startswith(source) else part
                for part in term.split(":")
            )
            for term in self.terms
        )
        return replace(self, terms=terms)

    @property
    def name(self) -> str:
        """A file-system-safe key, e.g. ``log_score__values_guided``."""
        return f"{self.analysis}__{self.subset.replace(' ', '_')}"


@dataclass(frozen=True)
class AnalysisOptions:
    """Row selection and priors; the defaults are the paper's most likely reading."""

    # The paper analysed English-language conversations only.
    english_only: bool = True
    # "Two to four options" in the paper reads as every turn (later turns have two).
    turns: Literal["all", "first"] = "all"
    # False: each fit drops only the rows missing a column it uses (its outcome and terms).
    # True: one common sample, rows with all 14 response and opening-prompt attributes present.
    complete_attributes: bool = False
    # The prompt whose attributes analysis 3 and the toxicity interaction read.
    prompt: PromptChoice = "opening"
    # "weak": b ~ normal(0, 2.5); "paper": b ~ normal(0, 1e6) as the paper reports.
    prior: Literal["weak", "paper"] = "weak"
    # Scale of the student_t(3, ., scale) priors on the intercept and every sd (brms's default).
    prior_scale: float = 2.5
    prior_only: bool = False
    # Draw the participant and conversation intercepts (marginal program only; large output).
    save_group_intercepts: bool = False

    def __post_init__(self) -> None:
        allowed = {
            "turns": ("all", "first"),
            "prompt": tuple(PROMPT_PREFIXES),
            "prior": ("weak", "paper"),
        }
        for name, values in allowed.items():
            if getattr(self, name) not in values:
                raise ValueError(f"{name}={getattr(self, name)!r}: expected one of {values}")

    @property
    def prior_b_sd(self) -> float:
        return 1e6 if self.prior == "paper" else 2.5


def interaction_terms(left: tuple[str, ...], right: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{a}:{b}" for a in left for b in right)


def top_scored_specs() -> list[AnalysisSpec]:
    return [
        AnalysisSpec("top_scored", subset, Family.BERNOULLI, "is_top_scored", ATTRIBUTES, ctype)
        for subset, ctype in _subsets()
    ]


def log_score_specs() -> list[AnalysisSpec]:
    return [
        AnalysisSpec("log_score", subset, Family.GAUSSIAN, "log_score", ATTRIBUTES, ctype)
        for subset, ctype in _subsets()
    ]


def toxicity_interaction_spec() -> AnalysisSpec:
    # The paper does not list the interaction model's other covariates; the response
    # attributes plus the prompt's toxicity main effect is the minimal well-formed model.
    terms = (*ATTRIBUTES, "opening_prompt_toxicity", "toxicity:opening_prompt_toxicity")
    return AnalysisSpec("log_score_toxicity_interaction", ALL, Family.GAUSSIAN, "log_score", terms)


def moderation_spec() -> AnalysisSpec:
    terms = (*ATTRIBUTES, *MODERATORS, *interaction_terms(MODERATORS, ATTRIBUTES))
    return AnalysisSpec("moderation", ALL, Family.GAUSSIAN, "log_score", terms)


def mirroring_specs() -> list[AnalysisSpec]:
    # Rows are responses, not conversations: the paper gives every model a
    # conversation-within-participant intercept, which is only identified with several rows
    # per conversation, and each response's attributes are a separate outcome given the
    # same opening prompt.
    predictors = tuple(f"opening_prompt_{a}" for a in ATTRIBUTES)
    return [
        AnalysisSpec("mirroring", f"response_{a}", Family.GAUSSIAN, f"response_{a}", predictors)
        for a in ATTRIBUTES
    ]


def top_choice_specs() -> list[AnalysisSpec]:
    """Beyond the paper: the top-scored option of each interaction as a choice among its options
    (a conditional logit on the attributes and LLM effects), on 1a's subsets."""
    return [
        AnalysisSpec("top_choice", subset, Family.CHOICE, "is_top_scored", ATTRIBUTES, ctype)
        for subset, ctype in _subsets()
    ]


def top_choice_mixed_spec() -> AnalysisSpec:
    """The conditional logit with participant-level random slopes on the attributes (a mixed
    logit), on all conversations: how much people differ in what they reward."""
    return AnalysisSpec(
        "top_choice_mixed", ALL, Family.CHOICE, "is_top_scored", ATTRIBUTES, random_slopes=True
    )


def log_score_rounded_specs() -> list[AnalysisSpec]:
    """Beyond the paper: 1b's regression on the recorded 1-100 score, read as a log-logistic
    rating that is rounded, censored at 1 and 100, and heaped at 1 and at the slider's default
    of 50 (``stan/rounded_loglogistic_nested.stan``); same terms, intercepts and subsets as 1b,
    and coefficients on 1b's log-score scale."""
    return [
        AnalysisSpec(
            "log_score_rounded", subset, Family.ROUNDED_LOGLOGISTIC, "score", ATTRIBUTES, ctype
        )
        for subset, ctype in _subsets()
    ]


def mirroring_beta_specs() -> list[AnalysisSpec]:
    """Beyond the paper: analysis 3 as beta regressions (logit link), one per response
    attribute, so a fitted or replicated probability stays inside (0, 1)."""
    return [
        replace(spec, analysis="mirroring_beta", family=Family.BETA) for spec in mirroring_specs()
    ]


def beyond_paper_specs() -> list[AnalysisSpec]:
    """The models set beside the paper's (issue 15), in their table order."""
    return [
        *top_choice_specs(),
        top_choice_mixed_spec(),
        *log_score_rounded_specs(),
        *mirroring_beta_specs(),
    ]


def paper_specs() -> list[AnalysisSpec]:
    """The paper's 17 fits, in its table order."""
    return [
        *top_scored_specs(),
        *log_score_specs(),
        toxicity_interaction_spec(),
        moderation_spec(),
        *mirroring_specs(),
    ]


def _subsets() -> list[tuple[str, str | None]]:
    return [(ALL, None), *((ctype, ctype) for ctype in CONVERSATION_TYPES)]
