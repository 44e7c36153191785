"""core.gpt2.hub: names and paths -> files, through huggingface_hub's cache; offline errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.gpt2.compare import compare_with_transformers
from core.gpt2.hub import GPT2WeightsUnavailableError, resolve_checkpoint
from core.gpt2.load import load_gpt2
from tests.core.gpt2.fixtures import PROMPT, make_hub_cache, max_logit_diff, write_hub_style

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_hub_cache_layout_goes_through_hf_hub_download(hf_model, tmp_path, monkeypatch):
    import huggingface_hub
    from huggingface_hub import constants

    cache = tmp_path / "hub"
    snapshot = make_hub_cache(
        cache, "openai-community/gpt2", write_hub_style(hf_model, tmp_path / "src")
    )
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    # huggingface_hub reads those variables once, when it is imported: set what it derived too
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    calls = []
    real_download = huggingface_hub.hf_hub_download

    def spy(repo_id, filename, **kwargs):
        path = real_download(repo_id, filename, **kwargs)
        calls.append((repo_id, filename, kwargs.get("tqdm_class"), Path(path)))
        return path

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", spy)

    files = resolve_checkpoint("gpt2")
    assert files.repo_id == "openai-community/gpt2"
    assert files.weights == (snapshot / "model.safetensors",)
    assert [(c[0], c[1]) for c in calls] == [
        ("openai-community/gpt2", "config.json"),
        ("openai-community/gpt2", "model.safetensors"),
    ]
    assert all(c[2] is None and c[3].parent == snapshot for c in calls)  # hub's own tqdm.auto

    class NotebookBar:  # what a notebook passes: any tqdm-like class
        pass

    calls.clear()
    model = load_gpt2("gpt2", tqdm_class=NotebookBar)
    assert [c[2] for c in calls] == [NotebookBar, NotebookBar]
    assert max_logit_diff(model, hf_model) <= 1e-5
    # the helper of lesson 13 on a hub name: transformers reads the same snapshot itself
    report = compare_with_transformers("gpt2", PROMPT, max_new_tokens=5)
    assert report.max_abs_logit_diff <= 1e-5 and report.greedy_agree


def test_offline_without_cache_says_what_is_missing_and_how_to_get_it(tmp_path, monkeypatch):
    from huggingface_hub import constants

    cache = tmp_path / "empty-hub"
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GPT2WeightsUnavailableError) as err:
        load_gpt2("gpt2-medium")
    message = str(err.value)
    assert isinstance(err.value, FileNotFoundError)
    for needed in ("openai-community/gpt2-medium", str(cache), "HF_HUB_OFFLINE", "hf download"):
        assert needed in message
    assert "about 1.4 GB" in message  # 354,823,168 parameters x 4 bytes


def test_unknown_name_is_a_clear_value_error(tmp_path):
    with pytest.raises(ValueError, match="neither an existing file or directory nor a GPT-2 name"):
        load_gpt2(str(tmp_path / "no such dir" / "x y"))
