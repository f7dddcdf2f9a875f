"""Every ```sql block in docs/analysts.md and README.md runs against the pipeline's warehouse.

The warehouse is the one the session's pipeline built from small synthetic data, opened
read-only, as an analyst would open it.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from orchestration.settings import REPO_ROOT

pytestmark = pytest.mark.slow

DOCUMENTS = (REPO_ROOT / "docs" / "analysts.md", REPO_ROOT / "README.md")
SQL_BLOCK = re.compile(r"^```sql[ \t]*\n(.*?)^```[ \t]*$", re.DOTALL | re.MULTILINE)


def sql_blocks(path: Path) -> list[tuple[str, str]]:
    """``(id, sql)`` for each fenced ``sql`` block, the id naming the file and starting line."""
    text = path.read_text()
    blocks = []
    for match in SQL_BLOCK.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        blocks.append((f"{path.name}:{line}", match.group(1)))
    return blocks


EXAMPLES = [block for path in DOCUMENTS for block in sql_blocks(path)]


def test_the_analyst_guide_has_examples() -> None:
    guide = sql_blocks(DOCUMENTS[0])
    assert len(guide) >= 8
    text = " ".join(sql for _, sql in guide)
    for table in (
        "marts.fct_responses",
        "marts.dim_participants",
        "marts.fct_text_attributes",
        "marts.fct_interactions",
        "marts.dim_models",
        "analysis.posterior_summary",
        "analysis.hypotheses",
        "analysis.fit_diagnostics",
        "analysis.paper_comparison",
        "analysis.posterior_predictive",
        "analysis.beyond_paper_comparison",
        "analysis.model_comparison",
    ):
        assert table in text, f"no example reads {table}"


@pytest.mark.parametrize(("where", "sql"), EXAMPLES, ids=[where for where, _ in EXAMPLES])
def test_example_sql_runs_and_returns_rows(materialized_instance, where: str, sql: str) -> None:
    warehouse = materialized_instance.env["PRISM_WAREHOUSE_DB"]
    with duckdb.connect(warehouse, read_only=True) as con:
        try:
            rows = con.execute(sql).fetchall()
        except duckdb.Error as exc:
            pytest.fail(f"{where}: {type(exc).__name__}: {exc}\n{sql}", pytrace=False)
    # An example that returns nothing on the synthetic data is filtering on a wrong value.
    assert rows, f"{where}: the example returned no rows\n{sql}"
