"""Lesson 3 in Chromium: train the word embedding, pick a word, read its neighbours; step the
rotation's p."""

from __future__ import annotations

from core.course.attention_lessons import format_number
from core.course.embeddings import nearest_neighbours, prepare_pairs, train_word_embedding
from core.data import read_text
from core.mirrors.positions import shift_rotation, sinusoidal_positions
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-1-3-embeddings-and-position.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    # the button trains on Tiny Shakespeare; the page's numbers are core's
    data = prepare_pairs(read_text("tinyshakespeare"), vocab_size=300)
    model = train_word_embedding(
        data.train_counts, data.vocabulary, width=16, steps=100, val_counts=data.val_counts
    )
    expect(page.get_by_text("after training")).to_have_count(0)
    page.get_by_role("button", name="Train the word embedding").click()
    table = page.locator("table").filter(has_text="after training")
    expect_text(table, "before training")
    rows = table.locator("tbody tr")

    def expect_neighbours(word):
        for rank, (i, cosine) in enumerate(nearest_neighbours(model.E, model.index(word), 8)):
            cells = rows.nth(rank).locator("td")
            expect(cells.nth(1)).to_have_text(model.vocabulary[i])
            expect(cells.nth(2)).to_have_text(format_number(cosine))

    expect_neighbours("my")
    # the learner picks another word in the searchable dropdown: its neighbours, live
    picker = page.locator("marimo-dropdown").filter(has_text="commonest first")
    picker.locator("button[aria-haspopup=dialog]").click()
    page.keyboard.type("romeo")
    page.keyboard.press("Enter")
    expect_text(page.locator("body"), "The nearest neighbour of romeo")
    expect_neighbours("romeo")
    body = page.locator("body")
    expect_text(body, f"ended at {format_number(model.train_losses[-1], 3)}")
    expect_text(body, f"{format_number(model.val_losses[-1], 3)} on the held-out pairs")

    # step p from 3 to 4: R(2) · PE(4) = PE(6), pair by pair, and the blocks stay R(2)'s
    slider = page.locator("marimo-slider").filter(has_text="position p").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    rotation = page.locator("table").filter(has_text="2 × 2 block of R(2)")
    expect_text(rotation, "PE(4)")
    pe, R = sinusoidal_positions(7, 8), shift_rotation(2, 8)
    rotated = R @ pe[4]
    for i in range(4):
        cells = rotation.locator("tbody tr").nth(i).locator("td")
        pair = f"({format_number(rotated[2 * i], 3)}, {format_number(rotated[2 * i + 1], 3)})"
        expect(cells.nth(5)).to_have_text(pair)
        expect(cells.nth(6)).to_have_text(
            f"({format_number(pe[6, 2 * i], 3)}, {format_number(pe[6, 2 * i + 1], 3)})"
        )

    # exercise 1 wrong (the cosine) then right; exercise 2 wrong then right, numbers = core's
    number = page.locator("marimo-number input").first
    number.fill("0.8776")
    number.press("Enter")
    expect_text(callout(page, 1), "that is the cosine")
    number.fill("0.4794")
    number.press("Enter")
    expect_text(callout(page, 1), "Correct")
    pe = sinusoidal_positions(64, 64)
    page.get_by_text("they are equal", exact=True).click()
    expect_text(callout(page, 2), "Not equal")
    page.get_by_text("positions 60 and 63", exact=True).click()
    expect_text(callout(page, 2), f"PE(60) · PE(63) = {format_number(float(pe[60] @ pe[63]))}")
    expect_text(callout(page, 2), "Correct")
