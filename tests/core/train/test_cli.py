"""`python -m core.train` answers ordinary mistakes with one `error:` line and exit status 2,
a diverged run with one line and status 1, and a run shorter than its warmup with a note."""

from __future__ import annotations

import json

import pytest
import torch

import core.train.__main__
from core.train.__main__ import EXIT_DIVERGED, EXIT_INTERRUPTED, EXIT_USAGE, main
from core.train.checkpoint import load_checkpoint
from tests.core.train.damage import tensor_offset

TINY_RUN = [
    "--preset", "shakespeare-char-cpu",
    "--model", "n_layer=1", "--model", "n_head=2", "--model", "n_embd=16", "--model", "block_size=16",
    "--batch-size", "2", "--eval-iters", "1", "--sample-interval", "0", "--device", "cpu",
    "--no-progress",
]  # fmt: skip


def run(capsys, *args: str) -> tuple[int, list[str]]:
    """Exit status and the lines on stderr."""
    status = main([*TINY_RUN, *args])
    return status, capsys.readouterr().err.splitlines()


def one_error(lines: list[str]) -> str:
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and not any("Traceback" in line for line in lines), lines
    return errors[0]


def test_a_run_shorter_than_the_warmup_shortens_it_and_says_so(capsys, tmp_path, data_available):
    status, lines = run(
        capsys, "--max-iters", "40", "--eval-interval", "40", "--out", str(tmp_path)
    )
    assert status == 0
    assert lines == [
        "note: --max-iters 40 is shorter than the preset's warmup of 100 updates: warming up "
        "over 2 instead (the same share of the run; --warmup sets it)"
    ]
    assert load_checkpoint(tmp_path / "ckpt.safetensors").train_config["warmup_steps"] == 2


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--model", "n_layer=0"], "error: --model n_layer=0: GPTConfig.n_layer must be positive"),
        (
            ["--model", "layers=2"],
            "error: --model layers=2: not a GPTConfig field; known: ['bias',",
        ),
        (["--batch-size", "0"], "error: --batch-size 0: TrainConfig.batch_size must be positive"),
        (["--warmup", "80"], "error: --max-iters 50, --warmup 80: TrainConfig.warmup_steps (80)"),
        (["--device", "gpu"], "error: --device gpu: "),
    ],
)
def test_bad_flags_give_one_error_line(capsys, tmp_path, args, said):
    status, lines = run(capsys, "--max-iters", "50", "--out", str(tmp_path), *args)
    assert status == EXIT_USAGE
    assert one_error(lines).startswith(said)
    assert not tmp_path.exists() or not any(tmp_path.iterdir())  # nothing trained, nothing written


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a CUDA GPU")
def test_no_gpu_gives_one_error_line(capsys, tmp_path):
    status, lines = run(capsys, "--device", "cuda", "--out", str(tmp_path))
    assert status == EXIT_USAGE
    assert one_error(lines) == (
        "error: --device cuda: device 'cuda' asked for, but this PyTorch sees no CUDA GPU; "
        "use --device cpu, or leave it out"
    )
    status, lines = run(capsys, "--dtype", "float16", "--out", str(tmp_path))
    assert status == EXIT_USAGE and "float16" in one_error(lines)


def test_missing_data_gives_one_error_line(capsys, tmp_path, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(empty))
    status, lines = run(capsys, "--out", str(tmp_path / "out"))
    assert status == EXIT_USAGE
    assert one_error(lines).startswith(f"error: COURSE_DATA_DIR is set to {empty}, but ")


@pytest.fixture
def trained(capsys, tmp_path, data_available):
    """A 4-update run in tmp_path, with its checkpoint."""
    status, _ = run(capsys, "--max-iters", "4", "--warmup", "1", "--eval-interval", "2",
                    "--out", str(tmp_path))  # fmt: skip
    assert status == 0
    return tmp_path


def test_a_corrupt_checkpoint_gives_one_error_line(capsys, trained):
    path = trained / "ckpt.safetensors"
    raw = bytearray(path.read_bytes())
    raw[tensor_offset(path, "model.transformer.wte.weight") + 2] ^= 1
    path.write_bytes(bytes(raw))
    status, lines = run(capsys, "--max-iters", "8", "--warmup", "1", "--eval-interval", "2",
                        "--out", str(trained), "--resume")  # fmt: skip
    assert status == EXIT_USAGE
    assert "is corrupt: tensor model.transformer.wte.weight" in one_error(lines)
    path.write_bytes(bytes(raw[:1000]))
    status, lines = run(capsys, "--max-iters", "8", "--out", str(trained), "--resume")
    assert status == EXIT_USAGE and "truncated" in one_error(lines)


def test_resuming_a_finished_run_or_another_run_gives_one_error_line(capsys, trained):
    common = ["--warmup", "1", "--eval-interval", "2", "--out", str(trained), "--resume"]
    status, lines = run(capsys, "--max-iters", "4", *common)
    assert status == EXIT_USAGE
    assert "already finished. To train further" in one_error(lines)
    status, lines = run(capsys, "--max-iters", "8", "--seed", "7", *common)
    assert status == EXIT_USAGE and "seed 1337 -> 7" in one_error(lines)
    status, lines = run(capsys, "--max-iters", "6", "--lr", "2e-3", *common)
    assert status == 0
    assert [line for line in lines if line.startswith("note: ")] == [
        f"note: resuming {trained / 'ckpt.safetensors'} at update 4 with settings changed from "
        "the stored run: max_steps 4 -> 6, learning_rate 0.001 -> 0.002 (the cosine decay now "
        "ends at update 6)"
    ]


def test_a_diverged_run_exits_1_and_keeps_the_last_good_checkpoint(capsys, trained):
    path = trained / "ckpt.safetensors"
    before = path.read_bytes()
    history = (trained / "history.json").read_text()
    status, lines = run(capsys, "--max-iters", "40", "--warmup", "1", "--eval-interval", "2",
                        "--lr", "1e6", "--out", str(trained), "--resume")  # fmt: skip
    assert status == EXIT_DIVERGED
    error = one_error(lines)
    assert error.startswith("error: training diverged at update ")
    assert f"the checkpoint {path} (update " in error and "lower the learning rate" in error
    ckpt = load_checkpoint(path)  # the last save before the divergence, or the one resumed
    assert ckpt.step >= 4 and all(torch.isfinite(w).all() for w in ckpt.weights.values())
    if ckpt.step == 4:
        assert path.read_bytes() == before
    assert (trained / "history.json").read_text() == history
    assert json.loads(history)["steps"] == [1, 2, 3, 4]


def test_ctrl_c_says_where_the_checkpoint_is(capsys, trained, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(core.train.__main__, "pretrain", interrupted)
    status, lines = run(capsys, "--max-iters", "8", "--out", str(trained), "--resume")
    assert status == EXIT_INTERRUPTED
    assert lines[-1] == (
        f"interrupted: {trained / 'ckpt.safetensors'} holds the last checkpoint; continue with "
        "the same command and --resume"
    )
