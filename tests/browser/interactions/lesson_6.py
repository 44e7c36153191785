"""Lesson 6 in Chromium: edit W_V, see bark's output change; predict the echo, see it measured;
narrow d to 1, see the trace's shapes, labels and numbers follow; answer exercise 2 wrong
(bark's own output), then right."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import format_number, toy_sentence
from core.mirrors.attention import attention_stages
from tests.browser.interactions import callout, expect_text, type_into_matrix, vec

NOTEBOOK = "4-2-6-values-and-attention-output.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    W_Q = np.array([[0.0, 0, 0], [0, 0, 0], [2, 0, 0]])
    W_K = np.array([[1.0, 0, 0], [1, 0, 0], [0, 0, 0]])
    W_V = np.eye(3)
    _, X = toy_sentence("the dog 's bark")
    expect_text(callout(page, 1), "Not yet")
    expect_text(callout(page, 3), "Not written yet")  # the blank function: not a mistake

    # the echo: a prediction first, then bark's own share with V = X
    body = page.locator("body")
    expect_text(body, "The measurement appears here once you have typed a prediction")
    page.locator("marimo-number").filter(has_text="own share").locator("input").fill("25")
    page.keyboard.press("Enter")
    w = attention_stages(X, W_Q, W_K)["weights"][3]
    lengths = np.linalg.norm(w[:, None] * X, axis=1)
    expect_text(body, f"bark's own row is {format_number(100 * lengths[3] / lengths.sum(), 0)}%")

    type_into_matrix(page, 2, 2, 2, 0)  # W_V[owned, v₂] = 0: owned is no longer handed over
    W_V[2, 2] = 0.0
    outputs = []
    for text in ("the dog 's bark", "the tree 's bark"):
        _, X_text = toy_sentence(text)
        outputs.append(attention_stages(X_text, W_Q, W_K, W_V)["output"][3])
    expect_text(callout(page, 1), "Correct")
    expect_text(callout(page, 1), f"{vec(outputs[0])} after dog, {vec(outputs[1])} after tree")

    # the trace keeps d_v = 2 of W_V's columns (section 3's default), named as in the editor
    trace = page.locator(".cw-trace")
    for stage in ("W_V", "V", "output"):
        header = trace.locator(f'table[data-stage="{stage}"]').first.locator("th.tr-col")
        expect(header).to_have_text(["v₀", "v₁"])
    expect_text(
        trace.locator('.tr-matrix:has(table[data-stage="V"]) .tr-title').first, "4×2 (T×d_v)"
    )
    expect(trace.locator('td[data-stage="W_V"][data-i="2"][data-j="1"]')).to_have_text("0.00")

    # narrow d from 3 to 1: Q and K become one slot wide, the scale is √1, weights sharper
    slider = page.get_by_role("slider").first
    slider.focus()
    for _ in range(2):
        page.keyboard.press("ArrowLeft")
    expect(trace.locator('table[data-stage="Q"] th.tr-col')).to_have_text(["q₀"])
    expect_text(trace.locator('.tr-matrix:has(table[data-stage="W_Q"]) .tr-title'), "3×1 (C×d)")
    expect_text(trace, "÷ √1 →")
    narrow = attention_stages(X, W_Q[:, :1], W_K[:, :1], W_V[:, :2])
    bark_weights = trace.locator('table[data-stage="weights"]').first.locator('tr[data-i="3"] td')
    expect(bark_weights).to_have_text([format_number(v) for v in narrow["weights"][3]])
    bark_output = trace.locator('table[data-stage="output"] tr[data-i="3"] td')
    expect(bark_output).to_have_text([format_number(v) for v in narrow["output"][3]])

    # exercise 2 at these widths: bark's v₀ with its own key masked, typed in, checked
    w, v = narrow["weights"][3], narrow["V"][:, 0]
    answer = float(w[:3] @ v[:3] / w[:3].sum())
    number = page.locator("marimo-number").filter(has_text="without itself").locator("input")
    number.fill(format_number(w @ v))  # bark's output with itself: the trace's cell
    page.keyboard.press("Enter")
    expect_text(callout(page, 2), "output cell")
    number.fill(format_number(answer))
    page.keyboard.press("Enter")
    expect_text(callout(page, 2), f"= {format_number(answer)}")
