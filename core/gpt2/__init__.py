"""OpenAI's GPT-2 in the course's GPT: the tensor mapping, the hub, the comparison.

loader.py  load_gpt2 (Hugging Face cache, or a local file or folder), save_hf,
           compare_with_transformers, and the name/shape mapping between the two
"""

from core.gpt2.loader import compare_with_transformers, load_gpt2, save_hf

__all__ = ["compare_with_transformers", "load_gpt2", "save_hf"]
