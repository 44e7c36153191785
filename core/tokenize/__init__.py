"""Text to token ids and back. Torch-free: the browser lessons use it as it is.

bpe.py         the byte-pair-encoding algorithm: pre-tokenizing, pair counts, merges,
               a naive and an incremental trainer
tokenizers.py  CharTokenizer; BPETokenizer, trained from scratch with a record of its
               merges, or GPT-2's rebuilt from its two files (equal to tiktoken)
"""

from core.tokenize.tokenizers import ENDOFTEXT, BPETokenizer, CharTokenizer, tiktoken_gpt2

__all__ = ["ENDOFTEXT", "BPETokenizer", "CharTokenizer", "tiktoken_gpt2"]
