"""Dagster code location and the plain libraries it orchestrates.

The libraries (PRISM ingest, synthetic data, Stan modelling) do not import Dagster.
"""
