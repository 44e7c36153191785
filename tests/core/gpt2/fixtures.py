"""Small GPT-2 checkpoints for tests, made offline by transformers (nothing is downloaded).

The random models use a larger initialisation scale (0.3 instead of GPT-2's 0.02): with the
usual scale a small random GPT-2 repeats one token forever, so agreeing greedy continuations
would prove little. At 0.3 (seed 0) the 30-token continuation of PROMPT has 15 distinct
tokens, the top two logits stay at least 0.02 apart (float32 rounding moves them by about
3e-6, so no near-tie can flip a comparison), and the logits stay below 10 in magnitude,
where float32 can meet a 1e-5 tolerance.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import save_file

# "The quick brown fox jumps over" in GPT-2's tokens.
PROMPT = [464, 2068, 7586, 21831, 18045, 625]


def random_hf_gpt2(seed: int = 0, *, n_layer: int = 3, n_embd: int = 32, n_positions: int = 64):
    """A random transformers GPT2LMHeadModel with GPT-2's vocabulary (50257), in eval mode."""
    import transformers

    config = transformers.GPT2Config(
        vocab_size=50257,
        n_positions=n_positions,
        n_embd=n_embd,
        n_layer=n_layer,
        n_head=2,
        initializer_range=0.3,
    )
    torch.manual_seed(seed)
    model = transformers.GPT2LMHeadModel(config).eval()
    model.generation_config.eos_token_id = None  # the course's generate never stops early
    return model


def hf_greedy(model, prompt: list[int], max_new_tokens: int) -> list[int]:
    """transformers' own greedy continuation (new tokens only)."""
    ids = torch.tensor([prompt])
    out = model.generate(
        ids,
        attention_mask=torch.ones_like(ids),
        max_new_tokens=max_new_tokens,
        do_sample=False,
        pad_token_id=0,
    )
    return out[0, len(prompt) :].tolist()


def write_hub_style(model, directory: Path) -> Path:
    """config.json and model.safetensors as openai-community/gpt2 stores them on the hub.

    Unlike `save_pretrained`: keys have no `transformer.` prefix, and every block carries
    its causal-mask buffer `h.N.attn.bias`, (1, 1, T, T), which older transformers saved.
    """
    directory.mkdir(parents=True, exist_ok=True)
    T = model.config.n_positions
    mask = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
    tensors = {
        key.removeprefix("transformer."): value.detach().clone().contiguous()
        for key, value in model.state_dict().items()
        if key != "lm_head.weight"  # tied to wte: the hub's file has no lm_head
    }
    for i in range(model.config.n_layer):
        tensors[f"h.{i}.attn.bias"] = mask.clone()
    save_file(tensors, str(directory / "model.safetensors"), metadata={"format": "pt"})
    model.config.to_json_file(str(directory / "config.json"))
    return directory


def make_hub_cache(cache: Path, repo_id: str, source: Path) -> Path:
    """Lay the files of `source` out as huggingface_hub's cache does; returns the snapshot dir.

    models--{owner}--{name}/blobs/<sha256> holds the contents, refs/main the commit id, and
    snapshots/<commit>/<filename> links to the blob.
    """
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(repo_id.encode()).hexdigest()  # any 40-hex id will do
    snapshot = repo / "snapshots" / commit
    (repo / "blobs").mkdir(parents=True)
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    for file in sorted(source.iterdir()):
        data = file.read_bytes()
        blob = repo / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / file.name).symlink_to(Path("..", "..", "blobs", blob.name))
    return snapshot


def rewrite_safetensors(path: Path, edit) -> None:
    """Rewrite a safetensors file after `edit(tensors: dict)` changed its tensors in place."""
    from safetensors.torch import load_file

    tensors = {k: v.clone() for k, v in load_file(str(path)).items()}
    edit(tensors)
    save_file(tensors, str(path), metadata={"format": "pt"})


def edit_config(directory: Path, **changes) -> None:
    path = directory / "config.json"
    config = json.loads(path.read_text())
    config.update(changes)
    path.write_text(json.dumps(config))


def hf_logits(model, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids])).logits


def course_logits(model: torch.nn.Module, ids: list[int]) -> torch.Tensor:
    with torch.no_grad():
        return model(torch.tensor([ids]))[0]


def max_logit_diff(course: torch.nn.Module, reference, ids: list[int] = PROMPT) -> float:
    """Largest |course - transformers| logit on `ids`."""
    return (course_logits(course, ids) - hf_logits(reference, ids)).abs().max().item()
