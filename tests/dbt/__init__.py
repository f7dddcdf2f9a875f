"""dbt warehouse tests: builds over synthetic and hand-shaped PRISM, reconciled layer by layer."""
