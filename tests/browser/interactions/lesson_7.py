"""Lesson 7 in Chromium: give head 1 a query and a key, see its shares; step the real model's
layer, see that layer's heads measured (numbers from core's NumPy GPT)."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import format_number
from core.course.heads import SENTENCES, distance_profile, relation_shares, toy_sentence
from core.course.lesson_model import load_lesson_model
from core.mirrors.attention import attention_stages
from tests.browser.interactions import callout, expect_text, type_into_matrix

NOTEBOOK = "4-2-7-multi-head-attention.py"
HEAD1_WQ, HEAD1_WK = 5, 6  # the page's mo.ui.matrix elements, in order
TEXT = "First Citizen:\nBefore we proceed any further, hear me speak."


def interact(page) -> None:
    expect_text(callout(page, 1), "Not yet")
    type_into_matrix(page, HEAD1_WQ, 2, 0, 3.0)  # head 1: bark's *owned* asks in slot q₀
    type_into_matrix(page, HEAD1_WK, 3, 0, 3.0)  # head 1: describing words answer there
    W_Q, W_K = np.zeros((4, 2)), np.zeros((4, 2))
    W_Q[2, 0], W_K[3, 0] = 3.0, 3.0
    tokens, X = toy_sentence(SENTENCES[0])
    shares = relation_shares(tokens, attention_stages(X, W_Q, W_K)["weights"])
    row = page.locator("tr").filter(has_text=f"head 1, “{SENTENCES[0]}”")
    expect_text(row, format_number(shares["describer"]))
    expect_text(callout(page, 1), "Not yet")  # head 0 still gives the owner too little

    # the real model: step the layer slider to 1; the page measures layer 1's heads
    lesson = load_lesson_model()
    _, weights = lesson.model.forward(lesson.encode(TEXT))
    expect_text(page.locator("body"), lesson.description.split("(")[1][:40])  # the model's size
    slider = page.get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    expect_text(page.locator("body"), "How far back the heads of layer 1 look")
    profile = distance_profile(weights[1], 6)
    table = page.locator("table").filter(has_text="an even spread").first
    head0 = table.locator("tr").filter(has_text="head 0")
    for value in profile[0]:
        expect_text(head0, format_number(value))
