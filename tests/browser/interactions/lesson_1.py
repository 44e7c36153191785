"""Lesson 1 in Chromium: predict, step the order slider, see core's held-out perplexity; predict
the temperature limits, slide T to 0, see the greedy distribution core's filters give."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import format_number
from core.course.ngram import NGramCounts, NGramModel, encode_chars, split_train_val
from core.data.files import read_text
from core.mirrors.sampling import filter_logits, softmax
from core.tokenize.char import CharTokenizer
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-1-1-what-is-a-language-model.py"


def interact(page) -> None:
    from playwright.sync_api import expect

    text = read_text("tinyshakespeare")
    tok = CharTokenizer.from_text(text)
    train, val = split_train_val(encode_chars(text, tok.vocab))
    tables = [NGramCounts.count(train, j, tok.vocab_size) for j in range(4)]
    body = page.locator("body")
    expect_text(body, f"about {format_number(NGramModel(tables[:2]).perplexity(val), 0)}")

    # the order slider and exercise 3 appear only after a prediction; two steps right is k = 3
    expect(page.locator("marimo-slider").filter(has_text="characters of context")).to_have_count(0)
    expect(page.locator("marimo-number").filter(has_text="best k")).to_have_count(0)
    page.get_by_role("radio", name="fall, then rise").check()
    order = page.locator("marimo-slider").filter(has_text="characters of context")
    order.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    k3 = NGramModel(tables).perplexity(val)
    expect_text(body, f"k = 3 (a 4-gram model): held-out perplexity {format_number(k3)}")
    unseen = NGramModel(tables).unseen_context_fraction(val)
    expect_text(body, f"{100 * unseen:.1f}% of the held-out characters come after a context")

    # predictions first, then the temperature slider; T = 0 leaves one bar, the argmax
    radios = page.locator("marimo-radio")
    radios.filter(has_text="As T → 0").get_by_role(
        "radio", name="all mass on the most likely character"
    ).check()
    radios.filter(has_text="As T → ∞").get_by_role("radio", name="uniform over all").check()
    expect_text(callout(page, 4), "Correct")
    logits = np.log(NGramModel(tables).next_probs(encode_chars("my lord, th", tok.vocab)))

    # top-k = 3 at T = 1: what the truncation removed, as core's filters say
    top_k = page.locator("marimo-slider").filter(has_text="top-k")
    top_k.get_by_role("slider").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    kept = softmax(filter_logits(logits, temperature=1.0, top_k=3)) > 0
    removed = 100 * float(softmax(logits)[~kept].sum())
    expect_text(
        body,
        f"The truncation removed {int((~kept).sum())} of {tok.vocab_size} characters, which "
        f"held {format_number(removed, 1)}% of the probability after temperature",
    )
    page.keyboard.press("Home")
    expect_text(body, "Top-k and top-p are off")

    temperature = page.locator("marimo-slider").filter(has_text="temperature T")
    temperature.get_by_role("slider").focus()
    page.keyboard.press("Home")
    final = softmax(filter_logits(logits, temperature=0))
    top = tok.vocab[int(np.argmax(final))]
    assert final.max() == 1.0
    expect_text(body, f"T = 0 is greedy: only {top}, the most likely character")
    widget = page.locator(".cw-next")
    expect(widget.locator('.nt-row[data-kept="1"]')).to_have_count(1)
    expect_text(widget.locator('.nt-row[data-kept="1"]'), "1.000")
    expect_text(body, "1 distinct of 8")
