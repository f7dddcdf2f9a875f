"""Dagster code location and the plain libraries it orchestrates (PRISM ingest, synthetic data, Stan modelling)."""
