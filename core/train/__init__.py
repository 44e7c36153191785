"""Training: one loop for every lesson that trains, and what it stands on.

loop.py         train(model, batches, loss_fn, config, evaluate=…) -> History: the loop
report.py       StepEvent, History, StopTraining: what a run reports, and callbacks
guard.py        TrainingDiverged: stop at the first loss that is NaN or inf
runtime.py      device, autocast, batches on the device, the RNG discipline
distributed.py  torchrun / DDP: which micro-batches each process trains on
resume.py       save a run mid-flight and continue it exactly; what a resume may change
checkpoint.py   atomic safetensors checkpoints, a SHA-256 per tensor
config.py       TrainConfig: how to train
optim.py        AdamW with decay on matrices only; clipping; one optimizer step
schedule.py     warmup, then cosine decay
pretrain.py     language modelling on the loop: windows, next-token loss, val loss, samples
runs.py         the named runs (model + training + data), one table
__main__.py     python -m core.train --preset NAME (also under torchrun)
"""

from core.train.checkpoint import CheckpointError
from core.train.config import TrainConfig
from core.train.guard import TrainingDiverged
from core.train.loop import train
from core.train.pretrain import TextSamples, pretrain
from core.train.report import History, StepEvent, StopTraining
from core.train.resume import ResumeError, ResumeNotice
from core.train.runs import RUNS, Run, get_run
from core.train.runtime import resolve_device

__all__ = [
    "RUNS",
    "CheckpointError",
    "History",
    "ResumeError",
    "ResumeNotice",
    "Run",
    "StepEvent",
    "StopTraining",
    "TextSamples",
    "TrainConfig",
    "TrainingDiverged",
    "get_run",
    "pretrain",
    "resolve_device",
    "train",
]
