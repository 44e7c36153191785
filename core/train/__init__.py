"""Training: one loop for every lesson that trains, and what it stands on.

loop.py        train(...) -> History
config.py      TrainConfig and the named presets
optim.py       AdamW with decay on matrices only; gradient clipping
schedule.py    warmup, then cosine decay
checkpoint.py  atomic safetensors checkpoints that resume exactly
__main__.py    python -m core.train --preset NAME (also under torchrun)
"""

from core.train.config import TRAIN_PRESETS, TrainConfig
from core.train.loop import History, StepEvent, StopTraining, resolve_device, train

__all__ = [
    "TRAIN_PRESETS",
    "History",
    "StepEvent",
    "StopTraining",
    "TrainConfig",
    "resolve_device",
    "train",
]
