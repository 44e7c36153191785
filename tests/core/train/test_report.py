"""History and callbacks: metrics of any name recorded, loss charts, stopping, round trips."""

from __future__ import annotations

import pytest

from core.train.report import History, Reporter, StepEvent, StopTraining


def fill(history: History, callbacks=()) -> list[bool]:
    reporter = Reporter(history, callbacks, max_steps=3)
    metrics = {2: {"val_loss": 2.5, "train_loss": 2.4, "val_accuracy": 0.75}}
    stops = []
    for s in (1, 2, 3):
        stops.append(reporter.record(s, loss=4.0 - s, lr=1e-3, grad_norm=1.0, tokens=100,
                                     seconds=0.5, metrics=metrics.get(s)))  # fmt: skip
    return stops


def test_history_records_whatever_the_evaluation_returned():
    history = History()
    events: list[StepEvent] = []
    assert fill(history, [events.append]) == [False, False, False]
    assert history.steps == [1, 2, 3] and history.losses == [3.0, 2.0, 1.0]
    assert history.evals == [{"step": 2, "val_loss": 2.5, "train_loss": 2.4, "val_accuracy": 0.75}]
    assert history.eval_steps == [2] and history.metric("val_accuracy") == [0.75]
    assert history.val_losses == [2.5] and history.metric("reward_margin") == []
    assert history.tokens_per_s == pytest.approx(200.0)  # 300 tokens over 1.5 s
    assert events[1].metrics == {"val_loss": 2.5, "train_loss": 2.4, "val_accuracy": 0.75}
    assert events[0].metrics == {} and events[2].max_steps == 3


def test_records_are_a_long_format_loss_chart():
    history = History()
    fill(history)
    rows = history.records()
    assert rows[:3] == [{"step": s, "split": "train (batch)", "loss": 4.0 - s} for s in (1, 2, 3)]
    assert rows[3:] == [
        {"step": 2, "split": "val", "loss": 2.5},
        {"step": 2, "split": "train", "loss": 2.4},
    ]  # accuracy is not a loss: it stays in history.evals


def test_round_trip_and_old_histories():
    history = History()
    fill(history)
    assert History.from_dict(history.to_dict()) == history
    with pytest.raises(ValueError, match="older course version"):
        History.from_dict({**history.to_dict(), "val_losses": [2.5]})


def test_stop_training_from_any_callback_still_runs_the_others():
    seen = []

    def stop(event: StepEvent) -> None:
        if event.step == 2:
            raise StopTraining

    assert fill(History(), [stop, seen.append]) == [False, True, False]
    assert [e.step for e in seen] == [1, 2, 3]
