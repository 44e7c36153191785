"""The course's one implementation of the GPT stack.

Importing `core` imports nothing heavy: the torch-free modules (`core.tokenizer`,
`core.sampling`, `core.attention_numpy`, …) work in the browser, where there is no torch.
Import what you need from its module, e.g. `from core.model import GPT`.
"""
