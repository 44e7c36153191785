"""Cached decoding against eager PyTorch's floor for the same arithmetic, GPT-2 124M shape.

A cached decoding step runs every weight of the model once on one token. What it can reach
depends on the BLAS (how fast it streams one-row products) and on the CPU, so the target is
not a fraction of the memory bandwidth but of a *minimal step* measured beside it: the same
arithmetic on the same weights in plain functional PyTorch (F.embedding, F.layer_norm,
F.linear, SDPA, F.gelu, argmax), no modules, no checks, the cache a preallocated tensor
written in place. Nothing eager can do this arithmetic with fewer calls, so it is the floor
that the course's `generate` is held to (target: >= 0.95 of the minimal step's speed).

Prints, with the CPU model and the load:
  1. minimal step vs the step's 49 projections alone, back to back (how much of a step is
     anything but the matrix products: the floor's own floor)
  2. course step vs minimal step, both with plain products (F.linear)
  3. course step vs minimal step, both with the split one-row products
     (`core.inference.split_linear`; with one thread it is plain F.linear again)
  and, as before, cached vs uncached `generate` (target >= 5x; plain and with the split) and
  what the split is worth.

A step's time leaves the prefill out: each way of decoding is timed for NEW_TOKENS + 1 and
for 1 new token after the same prompt, interleaved, and the difference of the medians is
divided by NEW_TOKENS. The minimal step's greedy tokens are checked equal to `generate`'s.
Random weights (the arithmetic does not depend on their values), fp32, batch 1, greedy.

    python bench/bench_generate.py [--threads N] [--rounds R] [--tokens N] [--no-uncached]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import torch
import torch.nn.functional as F

from bench.common import clock_for, header, interleave, load, median
from core.inference.split_linear import linear as split_linear
from core.inference.split_linear import use_plain_linear, use_split_linear
from core.model.config import GPTConfig
from core.model.generate import generate
from core.model.gpt import GPT

PROMPT = 8
REPEAT = 10  # projections-alone timings run this many steps' worth per sample

Linear = Callable[..., torch.Tensor]


def minimal_decoder(model: GPT, linear: Linear) -> Callable[[torch.Tensor, int], torch.Tensor]:
    """Greedy cached decoding of `model`'s weights in functional PyTorch: (1, P) ids, n -> ids.

    The prompt goes through the same one-token step, token by token (so the step is the
    only code there is); every tensor it needs is taken out of the model once, here.
    """
    cfg = model.config
    C, H, D, L = cfg.n_embd, cfg.n_head, cfg.head_size, cfg.n_layer
    wte, wpe = model.transformer.wte.weight, model.transformer.wpe.weight
    ln_f = (model.transformer.ln_f.weight, model.transformer.ln_f.bias)
    gelu = "tanh" if cfg.gelu == "tanh" else "none"

    def wb(m: torch.nn.Module) -> tuple[torch.Tensor, torch.Tensor | None]:
        return m.weight, m.bias

    layers = [
        (
            wb(b.ln_1),
            wb(b.attn.c_attn),  # q, k, v in one product, as the model computes them
            wb(b.attn.c_proj),
            wb(b.ln_2),
            wb(b.mlp.c_fc),
            wb(b.mlp.c_proj),
        )
        for b in model.transformer.h
    ]
    keys = torch.zeros(L, 1, H, cfg.block_size, D)
    values = torch.zeros(L, 1, H, cfg.block_size, D)

    def step(token: torch.Tensor, pos: int) -> torch.Tensor:  # token (1, 1) -> next (1, 1)
        x = F.embedding(token, wte) + wpe[pos]  # (1, 1, C)
        for i, (ln1, qkv_w, o_w, ln2, fc_w, proj_w) in enumerate(layers):
            h = F.layer_norm(x, (C,), *ln1)
            q, k, v = linear(h, *qkv_w).split(C, dim=-1)  # (1, 1, 3C) -> 3 × (1, 1, C)
            q = q.view(1, H, 1, D)  # one position: (1, 1, H·D) is (1, H, 1, D)
            keys[i, :, :, pos] = k.view(1, H, D)
            values[i, :, :, pos] = v.view(1, H, D)
            y = F.scaled_dot_product_attention(
                q, keys[i, :, :, : pos + 1], values[i, :, :, : pos + 1]
            )
            x = x + linear(y.view(1, 1, C), *o_w)
            h = F.layer_norm(x, (C,), *ln2)
            x = x + linear(F.gelu(linear(h, *fc_w), approximate=gelu), *proj_w)
        x = F.layer_norm(x, (C,), *ln_f)
        return linear(x, wte).argmax(dim=-1)  # (1, 1)

    @torch.inference_mode()  # as `generate` decodes: no autograd bookkeeping at all
    def decode(prompt: torch.Tensor, n: int) -> torch.Tensor:
        out = torch.empty(1, prompt.size(1) + n, dtype=torch.long)
        out[:, : prompt.size(1)] = prompt
        for pos in range(prompt.size(1) + n - 1):
            nxt = step(out[:, pos : pos + 1], pos)
            if pos + 1 >= prompt.size(1):
                out[:, pos + 1 : pos + 2] = nxt
        return out

    return decode


def projections_alone(model: GPT, linear: Linear) -> Callable[[], None]:
    """Every projection of one step (and the head), back to back on one row: REPEAT steps."""
    mats = [(m.weight, m.bias) for m in model.modules() if isinstance(m, torch.nn.Linear)]
    rows = {w.size(1): torch.randn(1, 1, w.size(1)) for w, _ in mats}

    @torch.inference_mode()
    def run() -> None:
        for _ in range(REPEAT):
            for w, b in mats:
                linear(rows[w.size(1)], w, b)

    return run


def main(
    rounds: int = 5, new_tokens: int = 100, threads: int | None = None, uncached: bool = True
) -> dict[str, float]:
    clock, clock_name = clock_for(threads)
    header("generation: the course's cached step vs a minimal functional step (GPT-2 124M shape)")
    print(f"   load before: {load()}; timed by {clock_name}")
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("gpt2")).eval()
    prompt = torch.randint(0, model.config.vocab_size, (1, PROMPT))
    n = new_tokens
    course = {
        "course": lambda k: generate(model, prompt, k, temperature=0),
        "course_split": lambda k: generate(use_split_linear(model), prompt, k, temperature=0),
    }
    minimal_plain, minimal_split = (
        minimal_decoder(model, F.linear),
        minimal_decoder(model, split_linear),
    )
    fns: dict[str, Callable[[], object]] = {}
    for name, run in {**course, "minimal": minimal_plain, "minimal_split": minimal_split}.items():
        if name.startswith("minimal"):
            fns[f"{name}+{n}"] = lambda run=run: run(prompt, n + 1)
            fns[f"{name}+0"] = lambda run=run: run(prompt, 1)
        else:
            fns[f"{name}+{n}"] = lambda run=run: (run(n + 1), use_plain_linear(model))
            fns[f"{name}+0"] = lambda run=run: (run(1), use_plain_linear(model))
    fns["projections"] = projections_alone(model, F.linear)
    fns["projections_split"] = projections_alone(model, split_linear)
    if uncached:
        fns["uncached"] = lambda: generate(model, prompt, n, temperature=0, use_cache=False)
        fns["cached"] = lambda: generate(model, prompt, n, temperature=0)
        fns["cached_split"] = lambda: (
            generate(use_split_linear(model), prompt, n, temperature=0),
            use_plain_linear(model),
        )

    same = torch.equal(minimal_plain(prompt, n), generate(model, prompt, n, temperature=0))
    times = interleave(fns, rounds=rounds, clock=clock)

    def per_step(name: str) -> float:
        return (median(times[f"{name}+{n}"]) - median(times[f"{name}+0"])) / n

    step = {name: per_step(name) for name in ("course", "course_split", "minimal", "minimal_split")}
    proj = median(times["projections"]) / REPEAT
    proj_split = median(times["projections_split"]) / REPEAT
    ms = {k: f"{1e3 * v:.1f} ms" for k, v in step.items()}
    print(f"   per step (prefill left out): {ms}; minimal's greedy tokens equal generate's: {same}")
    results = {
        "minimal_vs_projections": proj / step["minimal"],
        "minimal_split_vs_projections": proj_split / step["minimal_split"],
        "course_vs_minimal": step["minimal"] / step["course"],
        "course_vs_minimal_split": step["minimal_split"] / step["course_split"],
        "split_gain": step["course"] / step["course_split"],
    }
    print(
        f"   1. minimal step vs its projections alone: {results['minimal_vs_projections']:.2f} "
        f"(split: {results['minimal_split_vs_projections']:.2f}); the rest of a minimal step takes "
        f"{1e3 * (step['minimal'] - proj):.1f} ms"
    )
    print(
        f"   2. course step vs minimal, plain products: {results['course_vs_minimal']:.2f} (target >= 0.95)"
    )
    print(
        f"   3. course step vs minimal, split products: {results['course_vs_minimal_split']:.2f} (target >= 0.95)"
    )
    print(f"   split one-row products vs plain, course step: {results['split_gain']:.2f}x")
    if uncached:
        results["speedup"] = median(times["uncached"]) / median(times["cached"])
        print(
            f"   cached vs uncached generate, {n} tokens: {results['speedup']:.1f}x (target >= 5)"
        )
    print(f"   load after: {load()}")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--threads", type=int, default=None, help="torch threads (default: torch's)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=100, help="new tokens per timed run")
    parser.add_argument("--no-uncached", action="store_true", help="skip the slow uncached runs")
    args = parser.parse_args()
    main(args.rounds, args.tokens, args.threads, not args.no_uncached)
