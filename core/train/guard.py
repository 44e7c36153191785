"""Divergence: a run whose loss stops being a number ends at once, and says what to try.

Notation: s the update (counted from 1, as `StepEvent.step`), ℓ_s its mean training loss,
‖g_s‖ its global gradient norm before clipping, K = MAX_SKIPPED_IN_A_ROW.

A loss or a gradient norm that is inf or NaN (not finite) is about to destroy the weights:
one AdamW step with a NaN gradient makes every weight NaN, and every update after it trains
nothing while the run carries on as if all were well. The loop (core.train.loop) therefore
checks ℓ_s and ‖g_s‖ *before* the optimizer step and raises `TrainingDiverged`, so the model
keeps its last finite weights and no checkpoint is written from the bad update.

    without a gradient scaler:  stop at the first s with ℓ_s or ‖g_s‖ not finite
    float16 with a scaler:      stop when K updates in a row are not finite

Under float16 the scaler multiplies the loss by a scale S before backward; when the
gradients overflow it skips that step and halves S. A few skipped steps are how it finds
its scale, not a failure, so only a long streak of them stops the run.

Example:
    >>> guard = DivergenceGuard(skips_allowed=False)
    >>> guard.check(loss=4.2, grad_norm=0.9) is None   # finite: carry on
    True
    >>> guard.check(loss=float("nan"), grad_norm=float("nan"))
    'the loss is nan and the gradient norm nan'
"""

from __future__ import annotations

import math

MAX_SKIPPED_IN_A_ROW = 10  # float16: S falls by 2^10 = 1024x before the run is called diverged


class TrainingDiverged(RuntimeError):
    """The loss or the gradients went non-finite; the update was not applied.

    step: the update that diverged (1-based); loss, grad_norm: what it measured;
    history: the run's `History` up to the last finite update (set by the loop).
    """

    def __init__(self, message: str, *, step: int, loss: float, grad_norm: float) -> None:
        super().__init__(message)
        self.step, self.loss, self.grad_norm = step, loss, grad_norm
        self.history = None


class DivergenceGuard:
    """Counts non-finite updates in a row and says when the run must stop.

    skips_allowed: True under float16 with a gradient scaler (fewer than K non-finite updates
    in a row are the scaler's skipped steps); False otherwise (the first one stops the run).
    """

    def __init__(self, *, skips_allowed: bool) -> None:
        self.skips_allowed = skips_allowed
        self.in_a_row = 0

    def check(self, *, loss: float, grad_norm: float) -> str | None:
        """None if the run goes on; otherwise what went wrong, for `TrainingDiverged`."""
        if math.isfinite(loss) and math.isfinite(grad_norm):
            self.in_a_row = 0
            return None
        self.in_a_row += 1
        if self.skips_allowed and self.in_a_row < MAX_SKIPPED_IN_A_ROW:
            return None  # the scaler skips this step and lowers its scale
        why = f"the loss is {loss:.4g} and the gradient norm {grad_norm:.4g}"
        if self.skips_allowed:
            why += f" ({self.in_a_row} updates in a row overflowed float16 and were skipped)"
        return why


def diverged(
    step: int,
    why: str,
    *,
    loss: float,
    grad_norm: float,
    learning_rate: float,
    float16: bool,
    checkpoint: str | None,
) -> TrainingDiverged:
    """The exception for update `step`, with what to try next.

    checkpoint: the last checkpoint this run saved or resumed from (it is left untouched).
    """
    try_next = f"lower the learning rate (this run's peak is {learning_rate:g})"
    if float16:
        try_next += ", or train in bfloat16 or float32"
    try_next += ", lengthen the warmup, or check the data for bad values"
    then = "then resume from that checkpoint or start again" if checkpoint else "then start again"
    saved = f"; the checkpoint {checkpoint} is untouched" if checkpoint else ""
    message = (
        f"training diverged at update {step}: {why}. The update was not applied and nothing "
        f"was saved from it{saved}. To fix it, {try_next}; {then}."
    )
    return TrainingDiverged(message, step=step, loss=loss, grad_norm=grad_norm)
