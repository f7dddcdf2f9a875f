"""Synthetic PRISM: the four release files, a Perspective-style score file and the planted truth.

A plain library (no Dagster). `generate()` writes survey.jsonl, conversations.jsonl,
utterances.jsonl, metadata.jsonl, perspective_scores.csv, truth.json and MANIFEST.json; the
generative model is documented in `truth.py` and docs/synthetic.md.
"""

from .generator import GENERATOR_VERSION, GenerationReport, generate
from .truth import PRESETS, Truth, load_truth

__all__ = ["GENERATOR_VERSION", "PRESETS", "GenerationReport", "Truth", "generate", "load_truth"]
