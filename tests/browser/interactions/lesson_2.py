"""Lesson 2 in Chromium: predict the merge, step the merges slider, type a text.

The page's numbers are checked against `core`'s: the BPE row of the comparison table after
the slider moved (a tokenizer trained here on the same slice), and GPT-2's token count of the
typed text (the course's tokenizer, which the page also shows equal to tiktoken's).
"""

from __future__ import annotations

from core.course.tokenization import chunk_table, heldout_split, tokens_after_merges
from core.data import read_text
from core.tokenize import BPETokenizer
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-1-2-tokenization.py"
TYPED = "Thou art 12345 tokens, naïve"


def interact(page) -> None:
    from playwright.sync_api import expect

    # exercise 1: the reveal waits for a prediction; Z Y is right, and core agrees
    expect_text(page.locator("body"), "appear once you have predicted")
    page.get_by_role("radio", name="Z Y").check()
    expect_text(callout(page, 1), "Correct")
    expect_text(page.locator("body"), "the same ✓")

    # the merges slider: 256 -> 288 merges; the table's BPE row follows, as core computes it
    train, held = heldout_split(read_text("tinyshakespeare"))
    tok = BPETokenizer.train(train[:100_000], 256 + 768)
    expected = {
        k: (
            tokens_after_merges(chunk_table(train[:100_000]), tok, [k])[k],
            len(tok.encode_with_merges(held, k)),
        )
        for k in (256, 288)
    }
    row = page.locator("tr").filter(has_text="BPE, 256 merges")
    expect(row.locator("td")).to_have_text(
        ["BPE, 256 merges", "512", f"{expected[256][0]:,}", f"{expected[256][1]:,}", "0 (0.0%)"]
    )
    slider = page.locator("marimo-slider").get_by_role("slider")
    slider.focus()
    page.keyboard.press("ArrowRight")
    row = page.locator("tr").filter(has_text="BPE, 288 merges")
    expect(row.locator("td")).to_have_text(
        ["BPE, 288 merges", "544", f"{expected[288][0]:,}", f"{expected[288][1]:,}", "0 (0.0%)"]
    )
    expect_text(page.locator(".bpe-counter").first, "/ 288 merges")

    # the learner's own text: GPT-2's count, the same ids as tiktoken's
    gpt2 = BPETokenizer.from_gpt2()
    box = page.locator("marimo-text-area textarea")
    box.fill(TYPED)
    box.press("Tab")
    n = len(gpt2.encode_ordinary(TYPED))
    expect_text(page.locator("body"), f"{n} GPT-2 tokens for your {len(TYPED)} characters")
    expect_text(page.locator("body"), "the same ids ✓")
    ours = len(tok.encode_with_merges(TYPED, 288))
    expect_text(page.locator("body"), f"{ours} tokens for {len(TYPED)} characters")

    # a larger slice waits behind its run button, then trains in the page
    page.locator("marimo-dropdown select").select_option("300,000")
    button = page.get_by_role("button", name="Learn 768 merges from 300,000 characters")
    expect(button).to_be_visible(timeout=60_000)
    button.click()
    expect_text(page.locator("body"), "Learned 768 merges from 300,000 characters")
