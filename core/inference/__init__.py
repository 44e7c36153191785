"""Opt-in speed tricks for generation. None is the model's default: each is measured on the
hardware it helps (bench/) and tested equal to the plain path.

    split_linear.py  one-token matrix-vector products split into one row block per CPU core
"""
