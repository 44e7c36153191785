"""Lesson 8 in Chromium: predict, then step the depth slider; the page's sizes follow core's."""

from __future__ import annotations

import numpy as np

from core.course.attention_lessons import format_number
from core.mirrors.depth import depth_profile, random_stack
from tests.browser.interactions import callout, expect_text

NOTEBOOK = "4-2-8-the-transformer-block.py"


def sci(value: float) -> str:
    """As the lesson prints a size: fixed decimals in a readable range, else 1.2e-7."""
    if value == 0 or 0.01 <= abs(value) < 10_000:
        return format_number(value)
    return f"{value:.1e}".replace("e-0", "e-").replace("e+0", "e+")


def plain_stack(depth: int, wiring: str = "plain"):
    """The lesson's experiment recomputed: 8 positions of width 64, gain 1."""
    rng = np.random.default_rng(1)
    x, readout = rng.normal(size=(8, 64)), rng.normal(size=(8, 64))
    layers, final = random_stack(48, 64, gain=1.0, seed=0)
    p = depth_profile(x, layers[:depth], final, wiring, readout=readout)
    return p, p.stream_grad_norm[0] / p.stream_grad_norm[-1]


def top_weight_gradient(depth: int, wiring: str) -> float:
    """‖gradient of the top layer's weights‖ at gain 1: section 2's table."""
    p, _ = plain_stack(depth, wiring)
    return float(p.weight_grad_norm[-1])


def interact(page) -> None:
    from playwright.sync_api import expect

    body = page.locator("body")
    expect_text(body, "appears once you have entered a count")
    expect(page.get_by_text("Where the parameters are")).to_have_count(0)
    expect_text(body, "appears here once you have made a prediction")
    expect(page.get_by_text("At N = 24")).to_have_count(0)  # nothing revealed yet

    page.get_by_role("radio", name="over a million times smaller").check()
    _, ratio = plain_stack(24)
    expect_text(callout(page, 1), f"measured: {ratio:.1e}".replace("e-0", "e-"))
    expect_text(callout(page, 1), "Right")
    expect_text(body, f"the gradient reaching its bottom is {sci(ratio)} times")

    slider = page.locator("marimo-slider").filter(has_text="N, layers in the stack").first
    slider.get_by_role("slider").focus()
    page.keyboard.press("ArrowRight")  # N = 25
    profile, ratio = plain_stack(25)
    expect_text(body, "At N = 25, gain 1.0 the plain stack")
    expect_text(body, f"an output of RMS {sci(profile.activation_rms[-1])}")
    expect_text(body, f"the gradient reaching its bottom is {sci(ratio)} times")
    pre, pre_ratio = plain_stack(25, "pre-norm")
    expect_text(
        body, f"with pre-norm the stream ends at RMS {format_number(pre.activation_rms[-1])}"
    )
    expect_text(body, f"the bottom's gradient is {format_number(pre_ratio)} times the top's")

    # section 2's top-layer gradients (Xiong et al.'s quantity), against core's mirror
    ratio = top_weight_gradient(48, "post-norm") / top_weight_gradient(48, "pre-norm")
    expect_text(body, f"At N = 48 post-norm's is {format_number(ratio, 1)} times pre-norm's")
    expect_text(body, f"from {format_number(top_weight_gradient(3, 'pre-norm'), 0)} to")

    # exercise 3: a wrong count names its mistake and opens the breakdown; the right one is green
    count = page.locator("marimo-number input").first
    count.fill(str(12 * 256 * 256 + 11 * 256))
    count.press("Enter")
    expect_text(body, "not one")
    expect_text(body, "Where the parameters are")
    count.fill(str(12 * 256 * 256 + 13 * 256))
    count.press("Enter")
    expect_text(body, "Correct: 12C² + 13C")
