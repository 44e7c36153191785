"""Lesson 9 in Chromium: predict, run the leak detector with the mask on and off, count GPT-2
medium's parameters, and change the calculator's shape; every number checked against core."""

from __future__ import annotations

from core.course.attention_lessons import format_number
from core.course.gpt_lesson import leak_report
from core.course.lesson_model import load_lesson_model
from core.model.config import GPTConfig, count_parameters
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-2-9-decoder-only-transformers.py"
TEXT = "ROMEO: But soft, what light"  # the page's default text


def _type_number(page, label: str, value) -> None:
    box = page.locator("marimo-number").filter(has_text=label).locator("input")
    box.fill(str(value))
    box.press("Enter")


def interact(page) -> None:
    from playwright.sync_api import expect

    lm = load_lesson_model()  # the model the page loads on this machine
    body = page.locator("body")
    expect_text(body, "The model on this page:")
    expect_text(body, "Choose a prediction above to switch on the detector")
    expect(body).not_to_contain_text("find the cell")  # exercise 1 waits for the prediction
    name = lm.meta.get("preset") if lm.trained else "the random stand-in"
    expect_text(body, f"nats for {name}")  # results name the model that ran

    # predict, then the detector appears: with the mask on nothing before the change moves
    page.get_by_text("only that position and the ones after it").click()
    ids = lm.encode(TEXT)
    j = len(ids) // 2
    z = lm.chars.index("z")
    expect_text(body, f"none of the {j} positions before {j} moved")
    expect_text(body, "Your prediction was right")
    expect_text(body, "Exercise 1 · find the cell")
    moved = leak_report(lm.model, ids, j, z)
    expect_text(body, f"moved by up to {format_number(moved[j:].max(), 3)}")

    # the mask off: every earlier position moves, by as much as core says
    page.get_by_role("switch", name="causal mask").click()
    moved = leak_report(lm.model, ids, j, z, causal=False)
    expect_text(body, f"{j} of the {j} positions before {j} moved")
    expect_text(body, f"(up to {format_number(moved[:j].max(), 3)})")

    # exercise 1: the cell that hands position 3 its answer
    _type_number(page, "row (query)", 3)
    _type_number(page, "column (key)", 4)
    expect_text(callout(page, 1), "Correct: cell (3, 4)")

    # exercise 2 wrong (the head counted twice), then right; then GPT-2's sizes appear
    _type_number(page, "GPT-2 medium's parameters", 354_823_168 + 50257 * 1024)
    expect_text(callout(page, 2), "tied to wte")
    _type_number(page, "GPT-2 medium's parameters", 354_823_168)
    expect_text(callout(page, 2), "Correct: 354,823,168")
    expect_text(body, "1,557,611,200")

    # the calculator: more blocks change the count by core's numbers; heads change nothing
    _type_number(page, "L (blocks)", 24)
    total = count_parameters(GPTConfig.from_preset("gpt2", n_layer=24))
    _type_number(page, "H (heads)", 8)
    expect_text(body, f"Change H: the total stays {total:,}")
    _type_number(page, "H (heads)", 7)
    expect_text(body, "not divisible by H = 7")
    expect(page.locator("marimo-callout-output").filter(has_text="not divisible")).to_have_count(1)
