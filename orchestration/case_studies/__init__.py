"""PRISM's own case studies (Kirk et al. 2024) as plain library code, no Dagster import.

`rank_centrality` ranks models from battles as PRISM did, `bradley_terry` builds the Stan data
record of the group-level Bradley-Terry model and reads its draws back, `variance` splits the
variation in opening-turn preferences, and `jury` simulates PRISM's welfare juries.
"""
