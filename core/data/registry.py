"""The course's public data files: what each is, where it comes from, its size and SHA-256.

A `DataFile` describes one file; `REGISTRY` lists the course's, by name. Nothing here reads
or downloads anything: `files.py` does, using these descriptions (and `browser.py` in the
browser, from `DataFile.browser_url` when the canonical host forbids cross-origin reads).
Torch-free.

Example:
    >>> REGISTRY["tinyshakespeare"].size
    1115394
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DataFile:
    """One public file: `filename` is its path inside a data directory."""

    name: str
    filename: str
    url: str
    sha256: str
    size: int
    description: str
    zip_member: str | None = None  # the file arrives inside a zip archive under this name
    # A byte-identical copy that browsers may read cross-origin (CORS), for a canonical host
    # that does not allow it; None: the browser uses `url` too.
    browser_url: str | None = None

    def source_url(self, browser: bool = False) -> str:
        """Where a download comes from: `url`, or in a browser `browser_url` when there is one."""
        return (self.browser_url or self.url) if browser else self.url


_GH = "https://raw.githubusercontent.com"
_RASBT = f"{_GH}/rasbt/LLMs-from-scratch/main"
_GPT2 = "https://openaipublic.blob.core.windows.net/gpt-2/encodings/main"
# The same two files in the model's Hugging Face repository, which browsers may read: at this
# revision, vocab.json is encoder.json and merges.txt is vocab.bpe, byte for byte (the hub lists
# their git blob ids, 1f1d9aac… and 226b0752…, which are the git blob ids of OpenAI's files).
_GPT2_HF = (
    "https://huggingface.co/openai-community/gpt2/resolve/607a30d783dfa663caf39e06633721c8d4cfcd7e"
)

REGISTRY: dict[str, DataFile] = {
    f.name: f
    for f in [
        DataFile(
            "tinyshakespeare",
            "tinyshakespeare.txt",
            f"{_GH}/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
            "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
            1_115_394,
            "Tiny Shakespeare (char-rnn): 1.1 MB of plays, 65 distinct characters",
        ),
        DataFile(
            "the-verdict",
            "the-verdict.txt",
            f"{_RASBT}/ch02/01_main-chapter-code/the-verdict.txt",
            "b41e41a68f0398a3154ae69e2e4c0e2694e17fe0d66730536837f1b01935b31f",
            20_479,
            "Edith Wharton, The Verdict (public domain): a tiny corpus for fast demos",
        ),
        DataFile(
            "sms-spam",
            "sms-spam-collection.tsv",
            "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip",
            "edc1f2ca36319ca36c6f80fede2f6ae5f81335289352485f3924df077ec20266",
            477_906,
            "UCI SMS Spam Collection: 5,574 lines 'label<TAB>text' (4,827 ham, 747 spam)",
            zip_member="SMSSpamCollection",
        ),
        DataFile(
            "instruction-data",
            "instruction-data.json",
            f"{_RASBT}/ch07/01_main-chapter-code/instruction-data.json",
            "7e09a9af353722ca15c18bc580f093f9c39d3178335a75177319cb1e1d163944",
            203_524,
            "1,100 instruction/input/output records (Alpaca style)",
        ),
        DataFile(
            "instruction-preference",
            "instruction-data-with-preference.json",
            f"{_RASBT}/ch07/04_preference-tuning-with-dpo/instruction-data-with-preference.json",
            "305315abf14f65fa42c01a0877572f832606571c2a7d49f152ac1d758b16756e",
            386_968,
            "1,100 instructions with a chosen and a rejected response, for DPO",
        ),
        DataFile(
            "gpt2-vocab-bpe",
            "gpt2/vocab.bpe",
            f"{_GPT2}/vocab.bpe",
            "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5",
            456_318,
            "GPT-2's 50,000 BPE merges, in order (OpenAI's original file)",
            browser_url=f"{_GPT2_HF}/merges.txt",
        ),
        DataFile(
            "gpt2-encoder-json",
            "gpt2/encoder.json",
            f"{_GPT2}/encoder.json",
            "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783",
            1_042_301,
            "GPT-2's token-to-id map (OpenAI's original file)",
            browser_url=f"{_GPT2_HF}/vocab.json",
        ),
    ]
}


def spec(name: str) -> DataFile:
    """The registry entry `name`; an unknown name raises ValueError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown data file {name!r}; known: {sorted(REGISTRY)}") from None
