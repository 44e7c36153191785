"""Opt-in speed tricks for generation. None is the model's default: each is measured on the
hardware it helps (bench/) and tested equal to the plain path.

    split_linear.py  one-token matrix-vector products split into one row block per CPU core:
                     use_split_linear(model) turns it on in place, use_plain_linear(model) off
"""

from core.inference.split_linear import use_plain_linear, use_split_linear

__all__ = ["use_plain_linear", "use_split_linear"]
