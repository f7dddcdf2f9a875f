"""The Dagster UI in headless Chromium, against the instance the pipeline test materialised.

It checks what an analyst looks for: the global lineage runs from the raw PRISM tables through
dbt staging, intermediate and marts to the Stan fits and the posterior tables, and a fit's page
shows its metadata and its coefficient plot. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.orchestration.ui_harness import (
    Webserver,
    chromium,
    dismiss_newsletter_dialog,
    running_webserver,
    screenshot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FIT = "fit_log_score__all"
# Assets on every path from the raw utterances to one fit, and everything that fit feeds: the
# chain an analyst follows from PRISM's file to a posterior table.
CHAIN_SELECTION = (
    f'(key:"raw/prism_utterances"+ and +key:"analysis/{FIT}") or key:"analysis/{FIT}"+'
)
CHAIN = (
    "prism_utterances",
    "stg_prism__utterances",
    "stg_prism__texts",
    "text_scores",
    "fct_responses",
    "model_snapshot",
    FIT,
    "posterior_summary",
    "hypotheses",
)
GROUPS = ("prism", "scores", "staging", "intermediate", "marts", "analysis")
# Graph layout is done in a web worker and node data loads afterwards; both take a while here.
UI_TIMEOUT_MS = 90_000
# A node's full name is in ``data-tooltip`` only when drawn at full size; the minimal drawing
# used when zoomed out shortens long names.
NODE_NAMES = "svg foreignObject [data-tooltip]"

expect.set_options(timeout=UI_TIMEOUT_MS)


@pytest.fixture(scope="module")
def webserver(
    materialized_instance, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Webserver]:
    log = tmp_path_factory.mktemp("webserver") / "dagster-webserver.log"
    with running_webserver(
        materialized_instance.dagster_home, materialized_instance.env, log
    ) as server:
        dismiss_newsletter_dialog(server)
        yield server


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Wide enough that the row of six summary tables under one fit is drawn at full size (names
    # in full); at 2,000 pixels the UI zooms out to its minimal drawing.
    context = browser.new_context(viewport={"width": 2800, "height": 3200})
    # A top-to-bottom layout keeps the whole chain on one tall screen at full node size.
    context.add_init_script(
        "window.localStorage.setItem('asset-graph-direction', JSON.stringify('vertical'))"
    )
    context.set_default_timeout(UI_TIMEOUT_MS)
    new_page = context.new_page()
    yield new_page
    context.close()


def node_names(page: Page) -> set[str]:
    return set(page.locator(NODE_NAMES).evaluate_all("nodes => nodes.map(n => n.dataset.tooltip)"))


def wait_until_loaded(page: Page) -> None:
    """Wait for the per-node status rows to replace their "Loading…" placeholders."""
    placeholders = page.locator("svg foreignObject").get_by_text(re.compile(r"^Loading(…|\.\.\.)$"))
    expect(placeholders).to_have_count(0, timeout=UI_TIMEOUT_MS)


def assert_no_newsletter_dialog(page: Page) -> None:
    # The dialog opens one second after the first render; give it the chance to appear.
    time.sleep(2)
    expect(page.get_by_text("Join the Dagster community")).to_have_count(0)


def test_global_lineage_shows_the_chain_from_prism_to_the_fits(
    webserver: Webserver, page: Page
) -> None:
    page.goto(f"{webserver.base_url}/asset-groups")
    expect(page.get_by_text("Global asset lineage").first).to_be_visible()
    for group in GROUPS:
        expect(page.locator(f'{NODE_NAMES}[data-tooltip="{group}"]')).to_have_count(1)
    assert_no_newsletter_dialog(page)
    screenshot(page, "lineage_groups")

    # The UI's own shortcut for "Expand all groups"; the choice is kept for the next page.
    page.keyboard.press("Alt+KeyE")
    page.wait_for_function(
        "groups => document.querySelectorAll('svg foreignObject').length > groups",
        arg=len(GROUPS),
    )

    page.goto(f"{webserver.base_url}/asset-groups~{quote(CHAIN_SELECTION, safe='')}/")
    expect(page.locator(f'{NODE_NAMES}[data-tooltip="posterior_summary"]')).to_have_count(1)
    wait_until_loaded(page)
    screenshot(page, "lineage_chain")
    shown = node_names(page)
    fit_node = page.locator("svg foreignObject", has=page.locator(f'[data-tooltip="{FIT}"]'))
    expect(fit_node).to_contain_text("Materialized")
    missing = [name for name in CHAIN if name not in shown]
    assert not missing, f"lineage lacks {missing}; it shows {sorted(shown)}"
    # Only the selected path is drawn: the other fits are not on it.
    assert "fit_top_scored__all" not in shown
    assert "prism_survey" not in shown


def test_fit_page_shows_metadata_and_coefficient_plot(webserver: Webserver, page: Page) -> None:
    page.goto(f"{webserver.base_url}/assets/analysis/{FIT}")
    metadata = page.locator("table", has=page.get_by_text("[Show Markdown]"))
    expect(metadata.first).to_be_visible()
    for key in ("engine", "max_r_hat", "min_ess_bulk", "dataset_source", "plot"):
        expect(metadata.first.get_by_text(key, exact=True).first).to_be_visible()
    expect(metadata.first.get_by_text("synthetic", exact=True).first).to_be_visible()
    engine_row = metadata.first.locator("tr", has=page.get_by_text("engine", exact=True))
    expect(engine_row.first).to_contain_text(re.compile(r"(pystan|cmdstanpy) \d"))
    assert_no_newsletter_dialog(page)
    screenshot(page, "fit_page")

    plot_row = metadata.first.locator("tr", has=page.get_by_text("plot", exact=True))
    plot_row.get_by_text("[Show Markdown]").click()
    image = page.get_by_role("dialog").locator("img")
    expect(image).to_have_count(1)
    expect(image).to_have_attribute("src", re.compile(r"^data:image/png;base64,"))
    expect(image).to_have_attribute("alt", re.compile(r"log_score__all coefficients"))
    # naturalWidth stays 0 for an image the browser could not decode.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 200", arg=image.element_handle()
    )
    screenshot(page, "fit_plot")
