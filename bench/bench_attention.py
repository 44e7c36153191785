"""Attention speed: PyTorch's fused SDPA versus the explicit softmax(QKᵀ/√D)V path, and a
full GPT-2 124M forward pass against the machine's fp32 matmul rate.

1. Forward + backward of causal attention at B=8, H=12, T=1024, D=64 (target: SDPA >= 3x).
2. A forward pass over 1x1024 tokens of the GPT-2 124M shape: achieved FLOP/s as a fraction
   of a large square fp32 matmul's rate, measured interleaved (target >= 0.6). FLOPs counted
   as 2·N per token for the weight matmuls (N = parameters used as matrices: all but the
   position table, the LM head included) plus 4·L·T·C per token for QKᵀ and AV.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from bench.common import header, interleave, matmul_fn, median
from core.model.attention import scaled_dot_product
from core.model.config import GPTConfig
from core.model.gpt import GPT


def attention_fwd_bwd(rounds: int = 3) -> float:
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(8, 12, 1024, 64, generator=g, requires_grad=True) for _ in range(3))

    def run(fn):
        def step():
            out = fn(q, k, v)
            out.sum().backward()
            q.grad = k.grad = v.grad = None

        return step

    times = interleave(
        {
            "sdpa": run(lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True)),
            "explicit": run(lambda q, k, v: scaled_dot_product(q, k, v, causal=True)[0]),
        },
        rounds=rounds,
    )
    sdpa, explicit = median(times["sdpa"]), median(times["explicit"])
    print(
        f"   attention fwd+bwd B=8 H=12 T=1024 D=64: SDPA {sdpa * 1e3:.0f} ms, explicit {explicit * 1e3:.0f} ms"
    )
    print(f"   SDPA speed-up: {explicit / sdpa:.1f}x (target >= 3)")
    return explicit / sdpa


@torch.no_grad()
def forward_mfu(rounds: int = 5) -> float:
    torch.manual_seed(0)
    model = GPT(GPTConfig.from_preset("gpt2")).eval()
    cfg = model.config
    T = 1024
    idx = torch.randint(0, cfg.vocab_size, (1, T))
    n_matrix = model.num_parameters() - model.transformer.wpe.weight.numel()
    flops = T * (2 * n_matrix + 4 * cfg.n_layer * T * cfg.n_embd)
    matmul, matmul_flops = matmul_fn()
    times = interleave({"forward": lambda: model(idx), "matmul": matmul}, rounds=rounds)
    achieved = flops / median(times["forward"])
    peak = matmul_flops / median(times["matmul"])
    print(
        f"   GPT-2 124M forward 1x1024: {achieved / 1e9:.0f} GFLOP/s; square fp32 matmul "
        f"{peak / 1e9:.0f} GFLOP/s; fraction {achieved / peak:.2f} (target >= 0.6)"
    )
    return achieved / peak


def main() -> dict[str, float]:
    header("attention: SDPA versus explicit; GPT-2 124M forward versus the matmul rate")
    return {"sdpa_speedup": attention_fwd_bwd(), "forward_fraction": forward_mfu()}


if __name__ == "__main__":
    main()
