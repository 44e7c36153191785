"""Lesson 6 in Chromium: edit W_V, see bark's output change."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import toy_sentence
from core.mirrors.attention import attention_stages
from tests.browser.interactions import callout, expect_text, type_into_matrix, vec

NOTEBOOK = "4-2-6-values-and-attention-output.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    W_Q = np.array([[0.0, 0, 0], [0, 0, 0], [2, 0, 0]])
    W_K = np.array([[1.0, 0, 0], [1, 0, 0], [0, 0, 0]])
    W_V = np.eye(3)
    expect_text(callout(page, 1), "Not yet")

    type_into_matrix(page, 2, 2, 2, 0)  # W_V[owned, v₂] = 0: owned is no longer handed over
    W_V[2, 2] = 0.0
    outputs = []
    for text in ("the dog 's bark", "the tree 's bark"):
        _, X = toy_sentence(text)
        outputs.append(attention_stages(X, W_Q, W_K, W_V)["output"][3])
    expect_text(callout(page, 1), "Correct")
    expect_text(callout(page, 1), f"{vec(outputs[0])} after dog, {vec(outputs[1])} after tree")
    # the trace names V's and the output's columns as W_V's editor does, and shows the edit
    trace = page.locator(".cw-trace")
    for stage in ("W_V", "V", "output"):
        header = trace.locator(f'table[data-stage="{stage}"]').first.locator("th.tr-col")
        expect(header).to_have_text(["v₀", "v₁", "v₂"])
    expect(trace.locator('td[data-stage="W_V"][data-i="2"][data-j="2"]')).to_have_text("0.00")
