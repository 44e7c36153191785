"""Lesson 5 in Chromium: edit W_Q, see Q and QKᵀ; step d, see the measured variance."""

from __future__ import annotations

import re

import numpy as np

from core.course.attention_lessons import format_number, toy_sentence
from core.course.qk_training import bilinear_form, train_queries_keys
from core.mirrors.attention import attention_stages
from tests.browser.interactions import callout, expect_text, type_into_matrix

NOTEBOOK = "4-2-5-queries-and-keys.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    _, X = toy_sentence("the dog 's bark")
    W_Q, W_K = np.eye(3), np.eye(3)
    expect_text(page.locator("marimo-callout-output").filter(has_text="Relevance"), "symmetric")

    type_into_matrix(page, 0, 2, 0, 2.0)  # W_Q[owned, q₀] = 2
    W_Q[2, 0] = 2.0
    s = attention_stages(X, W_Q, W_K)
    relevance = page.locator("marimo-callout-output").filter(has_text="Relevance")
    expect_text(relevance, f"= {format_number(s['scores'][3, 1])}")
    expect_text(relevance, f"= {format_number(s['scores'][1, 3])}")
    expect_text(relevance, "no longer symmetric")
    # the trace shows bark's new query row, its columns named, and stops at the weights
    trace = page.locator(".cw-root").first
    for value in s["Q"][3]:
        expect_text(trace, format_number(value))
    expect(trace.locator('table[data-stage="Q"] th.tr-col')).to_have_text(["q₀", "q₁", "q₂"])
    expect(trace.locator('table[data-stage="X"] th.tr-col')).to_have_text(
        ["animal", "plant", "owned"]
    )
    # section 3: M = W_Q W_Kᵀ follows, row owned now seeks animal (M[owned, animal] = 2)
    M = bilinear_form(W_Q, W_K)
    m_table = page.locator("table").filter(has=page.locator("thead", has_text="query has")).first
    expect(m_table.locator("tbody tr").nth(2).locator("td")).to_have_text(
        ["owned", *map(format_number, M[2])]
    )
    expect_text(page.locator("body"), "M differs from its transpose")
    for stage in ("V", "output"):
        expect(trace.locator(f'table[data-stage="{stage}"]')).to_have_count(0)

    # exercise 2: bark looking at the toy token cat (on no table of the page)
    cat = np.array([0.9, 0.0, 0.4])
    number = page.locator("marimo-number").filter(has_text="q_bark · k_cat").locator("input")
    number.fill(format_number((cat @ W_Q) @ (X[3] @ W_K)))  # the roles swapped
    page.keyboard.press("Enter")
    expect_text(callout(page, 2), "That is cat looking at bark")
    number.fill(format_number((X[3] @ W_Q) @ (cat @ W_K)))
    page.keyboard.press("Enter")
    expect_text(callout(page, 2), "Correct")

    # the mask starts off and switches on in its own section: dog's weight on bark drops to 0
    mask_table = page.locator("table").filter(has_text="query ↓ · key →").first
    s = attention_stages(X, W_Q, W_K, causal=False, scale=False)
    expect_text(mask_table, format_number(s["weights"][1, 3]))
    expect(page.get_by_text("Measured at")).to_have_count(0)  # no experiment before a guess
    page.get_by_role("checkbox", name="causal mask").check()
    expect_text(page.locator("body"), "Weights with the mask on")
    dog_row = mask_table.locator("tbody tr").nth(1)
    expect(dog_row.locator("td")).to_have_text(
        ["dog"]
        + [format_number(w) for w in attention_stages(X, W_Q, W_K, scale=False)["weights"][1]]
    )
    expect(dog_row.locator("td").last).to_have_text("0.00")

    # a prediction first, then the experiment appears
    page.locator("marimo-number").filter(has_text="Var(q·k)").locator("input").fill("200")
    page.keyboard.press("Enter")
    expect_text(page.locator("body"), "Measured at d = 64")
    # step the d slider from 64 to 128: the measured variance of q·k follows d
    slider = page.locator("marimo-slider").filter(has_text="width of q and k").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    table = page.locator("table").filter(has_text="variance of the score")
    expect_text(page.locator("body"), "Measured at d = 128")
    row = table.locator("tr").filter(has_text="variance of the score").inner_text()
    raw, scaled = (float(x.replace("−", "-")) for x in re.findall(r"−?\d+\.\d+", row))
    assert abs(raw - 128) < 0.1 * 128, f"Var(q·k) at d = 128 measured {raw}"
    assert abs(scaled - 1) < 0.1, f"Var(q·k/√d) at d = 128 measured {scaled}"

    # exercise 4: one softmax weight by hand ('s on dog, masked and divided by √3)
    w = attention_stages(X, W_Q, W_K)["weights"][2, 1]
    weight_input = page.locator("marimo-number").filter(has_text="weight of").locator("input")
    weight_input.fill(format_number(attention_stages(X, W_Q, W_K, scale=False)["weights"][2, 1], 3))
    page.keyboard.press("Enter")
    expect_text(callout(page, 4), "without the division by √3")
    weight_input.fill(format_number(w, 3))
    page.keyboard.press("Enter")
    expect_text(callout(page, 4), "Correct")

    # section 6: train W_Q, W_K (d = 2 by default) and read the loss the page reports
    expected = train_queries_keys(d=2, steps=100)
    charts = page.locator(".vega-embed")
    before = charts.count()  # the √d section's two
    expect(page.get_by_role("button", name="Train W_Q and W_K")).to_have_count(0)
    for label, feature in (("row: the query", "owned"), ("column: the key", "animal")):
        page.locator("marimo-dropdown").filter(has_text=label).locator("select").select_option(
            feature
        )
    page.get_by_role("button", name="Train W_Q and W_K").click()
    expect_text(page.locator("body"), f"{format_number(expected.losses[-1], 3)} after 100 steps")
    expect_text(page.locator("body"), f"fell from {format_number(expected.losses[0], 3)}")
    expect(charts).to_have_count(before + 1)  # the loss curve
    expect_text(callout(page, 5), "Correct: M[owned, animal]")
