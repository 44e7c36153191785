"""Which micro-batches each process trains on (the full torchrun run is in test_ddp.py)."""

from __future__ import annotations

import pytest
import torch

from core.train import distributed


def test_process_r_takes_micro_batches_j_with_j_mod_w_equal_r():
    draws = ["j0", "j1", "j2", "j3"]
    assert distributed.my_share(draws, 0, 2) == ["j0", "j2"]
    assert distributed.my_share(draws, 1, 2) == ["j1", "j3"]
    assert distributed.my_share(draws, 0, 1) == draws
    shares = [distributed.my_share(draws, r, 4) for r in range(4)]
    assert sorted(j for share in shares for j in share) == draws  # every micro-batch trained once
    with pytest.raises(ValueError, match="multiple of the number of processes"):
        distributed.my_share(draws[:3], 0, 2)


def test_one_process_is_its_own_world():
    assert distributed.world() == (0, 1)
    model = torch.nn.Linear(2, 2)
    assert distributed.wrap(model, torch.device("cpu")) is model
    assert distributed.agree(True, torch.device("cpu")) is True
    value = torch.tensor(3.0)
    assert distributed.mean_over_processes(value) is value
    assert distributed.init_from_environment("cpu") == (0, 1, "cpu")
