"""The widgets in a real browser: `marimo run` serves the demo, Debian's Chromium drives it.

Each test acts as a learner would (move a slider, click a row, drag an arrow, type into a
matrix) and checks the page against numbers computed here independently. One page serves the
whole module; a failing test leaves a screenshot (see tests/browser_support.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from core.mirrors.attention import attention_stages, softmax
from core.mirrors.sampling import filter_logits
from tests.browser.support import (
    artifacts_dir,
    chromium,
    failure_artifacts,
    marimo_server,
    open_notebook,
    require_chromium,
)

pytestmark = pytest.mark.browser

DEMO = Path(__file__).resolve().parents[2] / "widgets" / "demo" / "demo.py"
TIMEOUT_MS = 20_000

# the demo's data, restated here so the page is checked against an independent computation
HEAT_TOKENS = ["The", " cat", " sat", " on", " the", " warm", " mat", "."]
HEAT_SCORES = np.random.default_rng(7).normal(size=(4, 8, 8))
CAUSAL = np.tril(np.ones((8, 8), dtype=bool))
TRACE_X = np.array([[1.0, 0.0, 1.0], [0.0, 2.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 2.0]])
TRACE_W_Q = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
TRACE_W_K = np.array([[1.0, 0.0, 0.0], [0.5, 1.0, 0.0], [0.0, 0.0, 1.0]])
NEXT_LOGITS = np.array([3.1, 2.4, 2.2, 1.9, 1.5, 1.2, 1.0, 0.9, -0.3, -1.2, -0.8, -2.0])


def heat_weights(sharpness: float) -> np.ndarray:
    return softmax(np.where(CAUSAL, sharpness * HEAT_SCORES[0], -np.inf))


def shown(values) -> list[str]:
    """Numbers as the widgets print them: two decimals, a real minus sign."""
    return [f"{v:.2f}".replace("-", "−") for v in np.ravel(values)]


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory):
    with marimo_server(DEMO, log_dir=tmp_path_factory.mktemp("marimo")) as server:
        yield server


@pytest.fixture(scope="module")
def demo(browser, server):
    page = open_notebook(browser, server.url, ready_text="Python follows query")
    page.js_errors = []
    page.on("pageerror", lambda error: page.js_errors.append(str(error)))
    yield page
    page.context.close()


@pytest.fixture
def page(request, demo, tmp_path_factory):
    with failure_artifacts(request, demo, artifacts_dir(tmp_path_factory)):
        yield demo


def heatmap_values(heatmap) -> list[str]:
    return heatmap.evaluate(
        "root => [...root.querySelectorAll('.cw-hm-map .cw-hm-val')].map(t => t.textContent)"
    )


def test_slider_redraws_the_heatmap_in_place_with_the_new_numbers(page):
    heatmap = page.locator(".cw-heatmap").first
    expect(heatmap.locator('.cw-hm-val[data-i="1"][data-j="0"]')).to_have_text(
        shown(heat_weights(1.0)[1, 0])[0], timeout=TIMEOUT_MS
    )
    assert heatmap_values(heatmap) == shown(heat_weights(1.0))
    heatmap.evaluate("root => { root.probe = 'same element'; }")
    slider = page.get_by_role("slider").first  # sharpness, 1.0 in steps of 0.25
    slider.focus()
    slider.press("ArrowRight")
    slider.press("ArrowRight")
    expect(heatmap.locator('.cw-hm-val[data-i="1"][data-j="0"]')).to_have_text(
        shown(heat_weights(1.5)[1, 0])[0], timeout=TIMEOUT_MS
    )
    assert heatmap_values(heatmap) == shown(heat_weights(1.5))
    assert heatmap.evaluate("root => root.probe") == "same element", "the widget was remounted"


def test_hovering_a_heatmap_cell_shows_its_value(page):
    heatmap = page.locator(".cw-heatmap").first
    sharpness = float(page.get_by_role("slider").first.get_attribute("aria-valuenow"))
    heatmap.locator('.cw-hm-cell[data-i="6"][data-j="1"]').hover()
    tip = heatmap.locator(".cw-tip")
    expect(tip).to_be_visible(timeout=TIMEOUT_MS)
    weight = heat_weights(sharpness)[6, 1]
    expect(tip).to_have_text(f"query 6 “␣mat” → key 1 “␣cat”: {weight:.3f}")
    page.mouse.move(0, 0)
    expect(tip).to_be_hidden()


def test_clicking_a_heatmap_row_reaches_python(page):
    heatmap = page.locator(".cw-heatmap").first
    heatmap.locator('.cw-hm-cell[data-i="3"][data-j="1"]').click()
    expect(page.get_by_text("Python received query row 3 (' on')")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(heatmap).to_have_attribute("data-selected-query", "3")


def test_clicking_a_head_enlarges_it(page):
    heads = page.locator(".cw-heatmap").nth(1)
    heads.locator('.cw-hm-thumb[data-head="2"]').click()
    expect(page.get_by_text("Enlarged: head 2.")).to_be_visible(timeout=TIMEOUT_MS)
    weights = softmax(np.where(CAUSAL, 2 * HEAT_SCORES, -np.inf))[2]
    assert heatmap_values(heads) == shown(weights)


LONG_WEIGHTS = softmax(
    np.where(
        np.tril(np.ones((40, 40), dtype=bool)),
        np.random.default_rng(3).normal(size=(40, 40)),
        -np.inf,
    )
)


def test_the_window_control_moves_a_long_heatmap(page):
    """40 tokens shown 16 at a time: ◀ ▶ and the slider ask Python for another window."""
    short = page.locator(".cw-heatmap").first
    expect(short.locator(".cw-hm-window")).to_be_hidden()  # 8 tokens fit: no control
    long = page.locator(".cw-heatmap").nth(2)
    long.scroll_into_view_if_needed()
    expect(long.locator(".cw-hm-range")).to_have_text("tokens 0–15 of 40", timeout=TIMEOUT_MS)
    assert heatmap_values(long) == shown(LONG_WEIGHTS[:16, :16])
    long.get_by_role("button", name="show the next tokens").click()
    expect(long).to_have_attribute("data-window-start", "16", timeout=TIMEOUT_MS)
    expect(page.get_by_text("Python sees the window from token 16 to 31.")).to_be_visible(
        timeout=TIMEOUT_MS
    )
    expect(long.locator(".cw-hm-range")).to_have_text("tokens 16–31 of 40")
    expect(long.locator(".cw-hm-row").first).to_have_text("␣w16")
    assert heatmap_values(long) == shown(LONG_WEIGHTS[16:32, 16:32])
    # rows and hover name positions in the whole text
    long.locator('.cw-hm-cell[data-i="20"][data-j="18"]').click()
    expect(page.get_by_text("selected query 20 (' w20')")).to_be_visible(timeout=TIMEOUT_MS)
    long.locator('.cw-hm-cell[data-i="21"][data-j="17"]').hover()
    expect(long.locator(".cw-tip")).to_have_text(
        f"query 21 “␣w21” → key 17 “␣w17”: {LONG_WEIGHTS[21, 17]:.3f}", timeout=TIMEOUT_MS
    )
    slider = long.get_by_role("slider", name="first token shown")
    slider.focus()
    slider.press("End")  # the last window
    expect(long).to_have_attribute("data-window-start", "24", timeout=TIMEOUT_MS)
    expect(
        page.get_by_text(re.compile(r"Python sees the window from token 24 to 39"))
    ).to_be_visible(timeout=TIMEOUT_MS)
    assert heatmap_values(long) == shown(LONG_WEIGHTS[24:, 24:])
    expect(long.get_by_role("button", name="show the next tokens")).to_be_disabled()
    long.get_by_role("button", name="show the previous tokens").click()
    expect(long).to_have_attribute("data-window-start", "8", timeout=TIMEOUT_MS)


def test_editing_a_matrix_entry_changes_the_traces_q(page):
    trace = page.locator(".cw-trace")
    q = trace.locator('td[data-stage="Q"]')
    expect(q.first).to_have_text(shown(TRACE_X[0] @ TRACE_W_Q[:, 0])[0], timeout=TIMEOUT_MS)
    trace.evaluate("root => { root.probe = 'same element'; }")
    entry = page.locator('marimo-matrix td[data-testid="matrix-cell-0-0"]').first  # W_Q[0, 0]
    entry.dblclick()
    box = page.locator("marimo-matrix input").first
    box.fill("2")
    box.press("Enter")
    W_Q = TRACE_W_Q.copy()
    W_Q[0, 0] = 2.0
    expected = attention_stages(TRACE_X, W_Q, TRACE_W_K, np.eye(3))
    expect(q.first).to_have_text(shown(expected["Q"][0, 0])[0], timeout=TIMEOUT_MS)
    assert q.all_inner_texts() == shown(expected["Q"])
    weights = trace.locator('table[data-stage="weights"]').first.locator("td")
    assert weights.all_inner_texts() == shown(expected["weights"])
    assert trace.evaluate("root => root.probe") == "same element", "the widget was remounted"


def test_hovering_a_score_writes_out_its_dot_product(page):
    trace = page.locator(".cw-trace")
    trace.locator('td[data-stage="scores"][data-i="2"][data-j="1"]').hover()
    W_Q = TRACE_W_Q.copy()
    W_Q[0, 0] = 2.0  # as the previous test left it
    s = attention_stages(TRACE_X, W_Q, TRACE_W_K, np.eye(3))
    terms = " + ".join(f"{q:.2f}×{k:.2f}" for q, k in zip(s["Q"][2], s["K"][1]))
    expect(trace.locator(".tr-explain")).to_contain_text(
        f"q₂ · k₁ = {terms} = {s['scores'][2, 1]:.2f}", timeout=TIMEOUT_MS
    )


def test_the_trace_names_its_columns_as_the_matrices_do(page):
    trace = page.locator(".cw-trace")

    def header(stage: str) -> list[str]:
        table = trace.locator(f'table[data-stage="{stage}"]').first
        return table.locator("th.tr-col").all_inner_texts()

    expect(trace.locator('table[data-stage="X"] th.tr-col')).to_have_text(
        ["f₀", "f₁", "f₂"], timeout=TIMEOUT_MS
    )
    for stage, slot in (("W_Q", "q"), ("Q", "q"), ("W_K", "k"), ("K", "k")):
        assert header(stage) == [f"{slot}₀", f"{slot}₁", f"{slot}₂"], stage
    for stage in ("W_V", "V", "output"):
        assert header(stage) == ["v₀", "v₁", "v₂"], stage
    for stage in ("W_Q", "W_K", "W_V"):  # a projection's rows are the embedding's features
        rows = trace.locator(f'table[data-stage="{stage}"] th.tr-row').all_inner_texts()
        assert rows == ["f₀", "f₁", "f₂"], stage
    assert header("scores") == ["the", "␣cat", "␣sat", "␣down"]  # tokens, as before
    # the hover arithmetic names the column too, and ends in the number hovered
    cell = trace.locator('td[data-stage="Q"][data-i="2"][data-j="1"]')
    cell.hover()
    expect(trace.locator(".tr-explain")).to_contain_text(
        "Q[2, q₁] = x₂ · W_Q[:, q₁] = ", timeout=TIMEOUT_MS
    )
    assert trace.locator(".tr-explain").inner_text().endswith(f"= {cell.inner_text()}")
    cell = trace.locator('td[data-stage="output"][data-i="1"][data-j="2"]')
    cell.hover()
    expect(trace.locator(".tr-explain")).to_contain_text("output[1, v₂] = Σₖ w₁ₖ × V[k, v₂] = ")
    assert trace.locator(".tr-explain").inner_text().endswith(f"= {cell.inner_text()}")
    trace.locator('td[data-stage="W_V"][data-i="2"][data-j="0"]').hover()
    expect(trace.locator(".tr-explain")).to_contain_text(
        "W_V[f₂, v₀] = 0.00: a learned weight, from feature f₂ to value slot v₀."
    )


def test_unticking_values_hides_stage_3_in_place(page):
    trace = page.locator(".cw-trace")
    expect(trace.locator('table[data-stage="output"]')).to_have_count(1, timeout=TIMEOUT_MS)
    trace.evaluate("root => { root.probe = 'same element'; }")
    weights = trace.locator('table[data-stage="weights"]').first.locator("td").all_inner_texts()
    box = page.get_by_role("checkbox", name="values and output (stage 3)")
    box.click()
    expect(trace.locator('.tr-section[data-section="3"]')).to_have_count(0, timeout=TIMEOUT_MS)
    for stage in ("V", "W_V", "output"):
        expect(trace.locator(f'table[data-stage="{stage}"]')).to_have_count(0)
    expect(trace.locator('table[data-stage="weights"]')).to_have_count(1)  # stage 2's only
    expect(trace.locator("h4").first).to_have_text("1 · Project each token: X · W = Q, K")
    assert trace.locator("h4").all_inner_texts()[1:] == ["2 · Score every query against every key"]
    # queries and keys are untouched
    assert trace.locator('table[data-stage="weights"] td').all_inner_texts() == weights
    box.click()
    expect(trace.locator('.tr-section[data-section="3"]')).to_have_count(1, timeout=TIMEOUT_MS)
    expect(trace.locator('table[data-stage="output"]')).to_have_count(1)
    expect(trace.locator('table[data-stage="weights"]')).to_have_count(2)
    assert trace.evaluate("root => root.probe") == "same element", "the widget was remounted"


def test_the_plane_names_its_axes(page):
    plane = page.locator(".cw-plane")
    expect(plane.locator(".vp-axis-name")).to_have_text(["f₀", "f₁"], timeout=TIMEOUT_MS)
    assert plane.locator('.vp-axis-name[data-axis="x"]').text_content() == "f₀"
    a = plane.locator('.vp-hit[data-index="0"]')
    assert a.get_attribute("aria-valuetext").startswith("a at f₀ ")


def test_dragging_a_vector_changes_the_dot_products(page):
    plane = page.locator(".cw-plane")
    row = page.locator("tr", has_text="a · b")
    expect(row).to_contain_text("1.50", timeout=TIMEOUT_MS)  # (1.5, 0.5) · (0.5, 1.5)
    tip = plane.locator('.vp-hit[data-index="1"]')  # b
    tip.scroll_into_view_if_needed()
    box = tip.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for k in range(1, 6):
        page.mouse.move(x + 16 * k, y + 10 * k)
    page.mouse.up()
    coords = plane.locator(".vp-coords")
    expect(coords.nth(1)).not_to_contain_text("(0.50, 1.50)", timeout=TIMEOUT_MS)
    a, b = (
        np.array([float(v.replace("−", "-")) for v in re.findall(r"[−\d.]+", text)[:2]])
        for text in coords.all_inner_texts()[:2]
    )
    expect(row).to_contain_text(f"{a @ b:.2f}", timeout=TIMEOUT_MS)
    assert not np.isclose(a @ b, 1.5)


def test_bpe_player_steps_match_python(page):
    player = page.locator(".cw-bpe")
    player.get_by_role("button", name="apply the next merge").click()
    player.get_by_role("button", name="apply the next merge").click()
    player.get_by_role("button", name="apply the next merge").click()
    message = page.get_by_text(re.compile(r"Python sees step 3: \d+ tokens"))
    expect(message).to_be_visible(timeout=TIMEOUT_MS)
    n_python = int(re.search(r"(\d+) tokens", message.inner_text()).group(1))
    assert player.locator(".bpe-tok").count() == n_python  # JS and Python segment alike
    expect(player.locator(".bpe-counter")).to_have_text("3 / 26 merges")


def test_clicking_a_token_reaches_python(page):
    strip = page.locator(".cw-tokens")
    strip.locator('.ts-tok[data-index="8"]').hover()  # the second of the emoji's four bytes
    expect(strip.locator(".cw-tip")).to_have_text(
        "token 8 · id 159 · bytes 9f (not a whole character on its own) · 1 byte",
        timeout=TIMEOUT_MS,
    )
    strip.locator('.ts-tok[data-index="1"]').click()
    expect(page.get_by_text(re.compile(r"Selected token 1: id \d+, ' cat'"))).to_be_visible(
        timeout=TIMEOUT_MS
    )


def test_top_k_drops_the_tail(page):
    chart = page.locator(".cw-next")
    top_k = page.get_by_role("slider").nth(-2)  # temperature, top-k, top-p are the last three
    top_k.focus()
    for _ in range(3):
        top_k.press("ArrowRight")
    expect(chart.locator('.nt-row[data-kept="1"]')).to_have_count(3, timeout=TIMEOUT_MS)
    kept = np.isfinite(filter_logits(NEXT_LOGITS, top_k=3))
    dropped = chart.locator('.nt-row[data-kept="0"]')
    expect(dropped).to_have_count(int((~kept).sum()))
    expect(chart.locator(".nt-summary")).to_contain_text("3 of 12 tokens kept")


def test_widgets_follow_the_dark_theme(browser, server, tmp_path_factory, request):
    dark = open_notebook(browser, server.url, theme="dark", ready_text="Python follows query")
    with failure_artifacts(request, dark, artifacts_dir(tmp_path_factory)):
        roots = dark.locator(".cw-root")
        expect(roots).to_have_count(8, timeout=TIMEOUT_MS)
        assert all("cw-dark" in c for c in roots.evaluate_all("rs => rs.map(r => r.className)"))
        label = dark.locator(".cw-trace .tr-table th.tr-row").first
        colour = label.evaluate("el => getComputedStyle(el).color")
        assert sum(map(int, re.findall(r"\d+", colour)[:3])) > 3 * 180, colour  # light text
        # switching marimo's theme while the page is open re-themes the widgets in place
        dark.evaluate("document.body.dataset.theme = 'light'")
        expect(dark.locator(".cw-root.cw-dark")).to_have_count(0, timeout=TIMEOUT_MS)
    dark.context.close()


@pytest.mark.slow  # the editor is heavy: about 50 s on two busy cores
def test_widgets_render_in_marimo_edit(browser, tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("edit")  # marimo edit writes __marimo__/ beside the file
    with marimo_server(DEMO, log_dir=folder, mode="edit", copy_into=folder) as server:
        page = open_notebook(browser, server.url)
        with failure_artifacts(request, page, artifacts_dir(tmp_path_factory)):
            # marimo edit opens with the cells not yet run (auto_instantiate is off): run all,
            # with the button at the bottom right, as a learner would
            page.get_by_test_id("run-button").last.click()
            expect(page.locator(".cw-root")).to_have_count(8, timeout=TIMEOUT_MS)
            expect(page.locator(".cw-heatmap .cw-hm-val").first).to_have_text(
                shown(heat_weights(1.0)[0, 0])[0]
            )
            # the last cell's output is there: every cell has run
            expect(page.get_by_text("Click a bar to select a token.", exact=True)).to_be_visible(
                timeout=TIMEOUT_MS
            )
            # the editor mounts cells as they scroll into view and posts their code to the
            # server; a widget update sent in that burst was seen to get lost (marimo 0.25.2,
            # no /api/kernel/set_model_value request): let it settle, as a reader would
            token = page.locator(".cw-tokens .ts-tok").nth(2)
            token.scroll_into_view_if_needed()
            page.wait_for_load_state("networkidle")
            token.click()
            expect(page.get_by_text("Selected token 2: id 263, ' sat'")).to_be_visible(
                timeout=TIMEOUT_MS
            )
        page.context.close()


def test_no_javascript_errors(page):
    assert page.js_errors == []
    assert page.locator(".cw-root.cw-dark").count() == 0  # the light page stayed light
