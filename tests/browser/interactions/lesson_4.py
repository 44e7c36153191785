"""Lesson 4 in Chromium: move a vector, see its dot products."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import format_number, toy_sentence
from core.mirrors.attention import attention_stages, softmax
from core.mirrors.positions import with_positions
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-2-4-the-problem-attention-solves.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    # the plane starts at the toy table's animal and owned columns, and says so on its axes
    _, X = toy_sentence("the dog 's bark")
    vectors = X[:, [0, 2]].copy()
    expect(page.locator(".cw-plane .vp-axis-name")).to_have_text(["animal", "owned"])
    before = vectors @ vectors.T
    expect_text(callout(page, 2), f"and dog {format_number(before[3, 1])}")

    # one arrow-key step moves dog's tip by the plane's snap, 0.1, along x
    page.locator('[aria-label="vector dog: arrow keys move it"]').focus()
    page.keyboard.press("ArrowRight")
    vectors[1, 0] += 0.1
    scores = vectors @ vectors.T
    expect_text(callout(page, 2), f"and dog {format_number(scores[3, 1])}")
    expect_text(callout(page, 2), f"itself {format_number(scores[3, 3])} (its squared length)")
    # the heatmap beside the plane shows softmax of bark's new row of scores
    bark_to_dog = softmax(scores)[3, 1]
    heatmap = page.locator(".cw-heatmap").first
    expect_text(heatmap, format_number(bark_to_dog))

    # section 5: "the bark 's dog" gives the rows of "the dog 's bark", reordered ...
    def outputs(text, positions):
        _, X = toy_sentence(text)
        X = with_positions(X) if positions else X
        return attention_stages(X, causal=False, scale=False)["output"]

    tables = [
        page.locator("table").filter(has=page.locator("thead", has_text=f"in “{t}”"))
        for t in ("the dog 's bark", "the bark 's dog")
    ]
    a, b = outputs("the dog 's bark", False), outputs("the bark 's dog", False)
    np.testing.assert_allclose(a[1], b[3])  # dog: row 2 of one, row 4 of the other
    expect(tables[0].locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["dog", *map(format_number, a[1])]
    )
    expect(tables[1].locator("tbody tr").nth(3).locator("td")).to_have_text(
        ["dog", *map(format_number, b[3])]
    )
    expect_text(page.locator("marimo-callout-output").filter(has_text="rows"), "Same rows")
    # ... until the position toggle appends (sin p, cos p): then dog's two rows differ
    page.get_by_role("checkbox", name="position feature").check()
    a, b = outputs("the dog 's bark", True), outputs("the bark 's dog", True)
    assert not np.allclose(a[1], b[3])
    expect(tables[0].locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["dog", *map(format_number, a[1])]
    )
    expect(tables[1].locator("tbody tr").nth(3).locator("td")).to_have_text(
        ["dog", *map(format_number, b[3])]
    )
    expect_text(
        page.locator("marimo-callout-output").filter(has_text="order"), "Now the order shows"
    )

    # exercise 4 (bark · tree) comes before the tables that hold its answer: they wait for it
    expect(page.get_by_text("S = X Xᵀ")).to_have_count(0)
    expect_text(page.locator("body"), "appear here once you have typed an answer to exercise 4")
    _, X = toy_sentence("the tree 's bark")
    number = page.locator("marimo-number").filter(has_text="bark · tree =").locator("input")
    number.fill(format_number(X[3] @ X[3]))  # bark with itself: the slip is named
    page.keyboard.press("Enter")
    expect_text(callout(page, 4), "That is bark with itself")
    number.fill(format_number(X[3] @ X[1]))
    page.keyboard.press("Enter")
    expect_text(callout(page, 4), "Correct")
    # now the trace's tables: bark's row of S = X Xᵀ for the first sentence
    _, X = toy_sentence("the dog 's bark")
    scores = page.locator("table").filter(has=page.locator("thead", has_text="looks at")).first
    expect(scores.locator("tbody tr").nth(3).locator("td")).to_have_text(
        ["bark", *map(format_number, (X @ X.T)[3])]
    )

    # section 4, Karpathy's bridge: the radio swaps the weight matrix; W X follows
    bridge = page.locator("table").filter(has=page.locator("thead", has_text="new vector of"))
    _, X = toy_sentence("the dog 's bark")
    expect(bridge.locator("tbody tr").nth(0).locator("td")).to_have_text(
        ["the", *map(format_number, X.mean(axis=0))]
    )
    page.get_by_role("radio", name="causal average (tril)").check()
    causal = np.cumsum(X, axis=0) / np.arange(1, 5)[:, None]  # row i: the first i + 1 tokens
    expect(bridge.locator("tbody tr").nth(1).locator("td")).to_have_text(
        ["dog", *map(format_number, causal[1])]
    )
    expect_text(page.locator("body"), "bark gives each token 0.25")
    page.get_by_role("radio", name="softmax(X Xᵀ), masked").check()
    raw = attention_stages(X, causal=True, scale=False)
    expect(bridge.locator("tbody tr").nth(2).locator("td")).to_have_text(
        ["'s", *map(format_number, raw["output"][2])]
    )
    # the bridge's heatmap (the second on the page) shows bark's weight on itself
    expect_text(page.locator(".cw-heatmap").nth(1), format_number(raw["weights"][3, 3]))
