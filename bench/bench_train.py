"""Training throughput: `core.train` (pretraining) at the shakespeare-char-cpu configuration against the
machine's fp32 matmul rate, and on a CUDA GPU the gpt2-124m preset in bf16 against the
chip's peak.

FLOPs per trained token (forward + backward), the Kaplan / nanoGPT convention:

    6·N + 12·L·C·T

N counts every parameter that multiplies activations: all parameters except the position
table (the token table is counted, because the tied LM head multiplies by it; biases and
LayerNorm parameters are included, a rounding error). 12·L·C·T is attention's QKᵀ and AV
over the full context T (causal masking not discounted), forward and backward.

1. CPU: whole training updates through `core.train.pretrain` (batch draw, forward, backward,
   clipping, AdamW) at 4 layers × 4 heads × 128, block 64, batch 12; achieved FLOP/s as
   a fraction of a 2048² fp32 matmul's rate, the two timed in alternation (target >= 0.5).
   Variants (1 thread or all, AdamW loop or fused) are timed in the same rounds; the
   headline is the best variant against the best matmul rate.
2. CUDA only: gpt2-124m, batch 8 × 1024, bf16 autocast, SDPA attention: tokens/s and
   model FLOPs utilisation against the chip's bf16 dense peak (and against a measured bf16
   matmul). Skipped without a GPU.
"""

from __future__ import annotations

import time

import torch

from bench.common import header, matmul_fn, median
from core.data.lm import TokenSplits
from core.model.config import GPTConfig
from core.model.gpt import GPT
from core.train.config import TrainConfig
from core.train.pretrain import pretrain

# bf16 dense tensor-core peaks (no sparsity), TFLOP/s, from the vendors' data sheets;
# matched in this order against torch.cuda.get_device_name() ("NVIDIA H100 80GB HBM3" is SXM)
BF16_PEAK_TFLOPS = {
    "H200": 989.0,
    "H100 SXM": 989.0,
    "H100 80GB HBM3": 989.0,
    "H100 PCIe": 756.0,
    "H100 NVL": 835.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L40": 181.0,
    "L4": 121.0,
    "RTX 4090": 165.0,
}


def flops_per_token(config: GPTConfig) -> float:
    """6·N + 12·L·C·T with N = all parameters but the position table."""
    n = GPT(config).num_parameters(include_position_embeddings=False)
    return 6.0 * n + 12.0 * config.n_layer * config.n_embd * config.block_size


def random_tokens(vocab_size: int, n: int = 200_000) -> TokenSplits:
    """Uniform random ids: throughput does not depend on what the tokens say."""
    ids = torch.randint(vocab_size, (n,), generator=torch.Generator().manual_seed(0))
    return TokenSplits.from_ids(ids, vocab_size, encode=list, decode=str)


def timing_config(preset: str, steps: int, **fields) -> TrainConfig:
    """The preset's training, `steps` updates long, with one tiny evaluation."""
    return TrainConfig.from_preset(
        preset, max_steps=steps, warmup_steps=1, eval_interval=steps, eval_batches=1, **fields
    )


def tokens_per_second(model: GPT, data: TokenSplits, config: TrainConfig) -> float:
    """The loop's own measure: training tokens over training time (no evaluation)."""
    return pretrain(model, data, config).tokens_per_s


def cpu_fraction(rounds: int = 4, steps: int = 15) -> dict[str, float]:
    """Training FLOP/s over fp32 matmul FLOP/s, per variant, all timed round-robin.

    Variants: thread counts (1 and all) × AdamW implementation (loop, fused). Each round
    times the 2048² matmul at every thread count, then `steps` updates of every variant.
    """
    shape = GPTConfig.from_preset("shakespeare-char-cpu")
    per_token = flops_per_token(shape)
    data = random_tokens(shape.vocab_size)
    base = timing_config("shakespeare-char-cpu", steps, device="cpu")
    threads = torch.get_num_threads()
    thread_counts = sorted({1, threads})
    variants = {(n, opt): f"{n} thread{'s' if n > 1 else ''}, AdamW {opt}" for n in thread_counts for opt in ("loop", "fused")}  # fmt: skip
    matmul, matmul_flops = matmul_fn(2048)
    rates: dict[int, list[float]] = {n: [] for n in thread_counts}
    speeds: dict[tuple[int, str], list[float]] = {v: [] for v in variants}
    torch.manual_seed(0)
    model = GPT(shape)
    for r in range(rounds + 1):  # round 0 warms up
        for n in thread_counts:
            torch.set_num_threads(n)
            t0 = time.perf_counter()
            for _ in range(3):
                matmul()
            if r > 0:
                rates[n].append(3 * matmul_flops / (time.perf_counter() - t0))
        for n, opt in variants:
            torch.set_num_threads(n)
            tps = tokens_per_second(model, data, base.replace(optimizer=opt))
            if r > 0:
                speeds[n, opt].append(tps)
    torch.set_num_threads(threads)
    rate = {n: median(v) for n, v in rates.items()}
    best_rate = max(rate.values())
    print(f"   FLOPs per token: {per_token / 1e6:.2f} M (6·N + 12·L·C·T), batch 12 × 64")
    for n in thread_counts:
        print(
            f"   fp32 matmul 2048², {n} thread(s): {rate[n] / 1e9:.0f} GFLOP/s (median of {rounds})"
        )
    fractions = {}
    for (n, opt), name in variants.items():
        tps = median(speeds[n, opt])
        fractions[name] = tps * per_token / best_rate
        print(
            f"   {name:24s} {tps:8,.0f} tokens/s  {tps * per_token / 1e9:5.1f} GFLOP/s  "
            f"= {tps * per_token / rate[n]:.2f} of the matmul on {n} thread(s), "
            f"{fractions[name]:.2f} of the best matmul"
        )
    best = max(fractions, key=fractions.get)
    print(f"   best: {best}: {fractions[best]:.2f} of the best fp32 matmul rate (target >= 0.5)")
    return fractions


def bf16_peak(name: str) -> float | None:
    for key, tflops in BF16_PEAK_TFLOPS.items():
        if key in name:
            return tflops * 1e12
    return None


def cuda_gpt2(steps: int = 8) -> dict[str, float] | None:
    """gpt2-124m on the GPU: bf16 autocast, SDPA, batch 8 × 1024 per micro-batch."""
    if not torch.cuda.is_available():
        print("   no CUDA GPU: gpt2-124m throughput skipped")
        return None
    device_name = torch.cuda.get_device_name()
    shape = GPTConfig.from_preset("gpt2-124m")
    per_token = flops_per_token(shape)
    data = random_tokens(shape.vocab_size, n=2_000_000)
    config = timing_config("gpt2-124m", steps, dtype="bfloat16", device="cuda")
    torch.manual_seed(0)
    model = GPT(shape)
    a = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)
    b = torch.randn(8192, 8192, device="cuda", dtype=torch.bfloat16)

    def matmul_rate() -> float:
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(10):
            a @ b
        torch.cuda.synchronize()
        return 10 * 2 * 8192**3 / (time.perf_counter() - t0)

    matmul_rate()
    tokens_per_second(model, data, config.replace(max_steps=2))  # warm-up: kernels, allocator
    speeds, rates = [], []
    for _ in range(3):
        rates.append(matmul_rate())
        speeds.append(tokens_per_second(model, data, config))
    tps, rate = median(speeds), median(rates)
    peak = bf16_peak(device_name)
    print(f"   {device_name}: FLOPs per token {per_token / 1e9:.3f} G")
    print(f"   gpt2-124m bf16 autocast + SDPA: {tps:,.0f} tokens/s")
    print(
        f"   bf16 matmul 8192²: {rate / 1e12:.0f} TFLOP/s; fraction of it: {tps * per_token / rate:.2f}"
    )
    result = {"tokens_per_s": tps, "matmul_fraction": tps * per_token / rate}
    if peak is not None:
        result["mfu"] = tps * per_token / peak
        print(f"   MFU against the {peak / 1e12:.0f} TFLOP/s bf16 peak: {result['mfu']:.2f}")
    else:
        print(f"   bf16 peak of {device_name!r} unknown here: MFU not computed")
    return result


def main() -> dict[str, object]:
    header("training throughput: core.train at shakespeare-char-cpu (fp32, CPU)")
    results: dict[str, object] = {"cpu": cpu_fraction()}
    header("training throughput: gpt2-124m, bf16 autocast, SDPA (CUDA)")
    results["cuda"] = cuda_gpt2()
    return results


if __name__ == "__main__":
    main()
