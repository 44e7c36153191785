"""Lesson 2's plumbing: example texts, a word-level baseline, measurements, exercise checks.

Torch-free. The tokenizers themselves are `core.tokenize`'s; this module holds what only the
lesson needs around them:

- a word-level tokenizer as the baseline BPE improves on (`split_words`, `WordVocabulary`):
  one id per distinct word of a training text, and `<unk>` for every word it never saw;
- `compare_tokenizers`: characters vs words vs BPE on one text, as rows of a table
  (vocabulary size, sequence length, out-of-vocabulary units in a held-out text);
- `tokens_after_merges`: how long a text is after the first k merges, for many k at once;
- `digit_token_counts`: how GPT-2 splits every number of d digits;
- the example texts the lesson measures (numbers, spaces and case, languages, rare tokens);
- `load_text`: a data file's text, or the sentence telling the learner how to get it.

Example:
    >>> split_words("Thou art, Shakespearean!")
    ['Thou', 'art', ',', 'Shakespearean', '!']
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.tokenize.bpe import GPT2_PATTERN, pretokenize, to_utf8
from core.tokenize.bpe_encode import apply_merges

MINBPE_TEXT = "aaabdaaabac"  # minbpe's worked example (after Wikipedia's BPE article)
UNKNOWN = "<unk>"

# Measured by the lesson with GPT-2's tokenizer; the behaviour they cause is cited there.
NUMBER_EXAMPLES = ["7", "42", "123", "1234", "12345", "123456", "2023", "1000000", "3.14159"]
SPACE_CASE_EXAMPLES = ["hello", " hello", "Hello", " Hello", "HELLO", " HELLO"]
SPELLING_EXAMPLES = [" strawberry", "strawberry", " Strawberry", " STRAWBERRY"]
# One everyday sentence; the translations say the same thing.
LANGUAGE_EXAMPLES = {
    "English": "The weather is nice today, so we are going to the park.",
    "French": "Il fait beau aujourd'hui, alors nous allons au parc.",
    "German": "Das Wetter ist heute schön, also gehen wir in den Park.",
    "Spanish": "Hoy hace buen tiempo, así que vamos al parque.",
    "Russian": "Сегодня хорошая погода, поэтому мы идём в парк.",
    "Greek": "Σήμερα ο καιρός είναι καλός, οπότε πάμε στο πάρκο.",
    "Hindi": "आज मौसम अच्छा है, इसलिए हम पार्क जा रहे हैं।",
    "Chinese": "今天天气很好，所以我们去公园。",
    "Japanese": "今日は天気がいいので、公園に行きます。",
    "Korean": "오늘 날씨가 좋아서 우리는 공원에 갑니다.",
}
# Strings Rumbelow & Watkins (2023) list among GPT-2/GPT-3's anomalous tokens.
RARE_TOKEN_EXAMPLES = [
    " SolidGoldMagikarp",
    " petertodd",
    " davidjl",
    " TheNitromeFan",
    "ForgeModLoader",
    "rawdownload",
    " guiActiveUn",
    "embedreportprint",
]

_WORD = re.compile(r"\w+|[^\w\s]")


def split_words(text: str) -> list[str]:
    """Words (runs of letters, digits, _) and single punctuation marks; spaces are dropped.

    Example: split_words("I'll go.") -> ['I', "'", 'll', 'go', '.']
    """
    return _WORD.findall(text)


@dataclass(frozen=True)
class WordVocabulary:
    """A word-level tokenizer: one id per distinct word of a training text, `<unk>` = 0."""

    words: tuple[str, ...]  # words[i - 1] has id i; id 0 is <unk>

    @classmethod
    def from_text(cls, text: str) -> WordVocabulary:
        words = sorted(set(split_words(text)))
        if not words:
            raise ValueError("cannot build a word vocabulary from a text with no words")
        return cls(tuple(words))

    @property
    def vocab_size(self) -> int:
        return len(self.words) + 1

    def tokens(self, text: str) -> list[str]:
        """The words of `text`, each one the vocabulary lacks replaced by `<unk>`."""
        known = self._known
        return [w if w in known else UNKNOWN for w in split_words(text)]

    def unknown(self, text: str) -> list[str]:
        """The words of `text` (in order, repeats kept) that the vocabulary lacks."""
        known = self._known
        return [w for w in split_words(text) if w not in known]

    @property
    def _known(self) -> frozenset[str]:
        return frozenset(self.words)


@dataclass(frozen=True)
class TokenizerRow:
    """One tokenizer measured on a training text and a held-out text."""

    name: str
    vocab_size: int
    train_tokens: int  # tokens of the training text
    heldout_tokens: int  # tokens of the held-out text
    heldout_unknown: int  # units of the held-out text the vocabulary cannot represent
    heldout_units: int  # units of the held-out text (characters, words or bytes)


def heldout_split(text: str, fraction: float = 0.1) -> tuple[str, str]:
    """(the first 1 - fraction of `text`, the last `fraction`): the split lesson 11 trains on.

    Example: heldout_split("abcdefghij") -> ("abcdefghi", "j")
    """
    n = int(len(text) * (1 - fraction))
    return text[:n], text[n:]


def compare_tokenizers(train_text: str, heldout_text: str) -> list[TokenizerRow]:
    """Characters and words, each with the vocabulary of `train_text`, measured on both texts.

    Characters: the vocabulary is the training text's distinct characters; unknown units are
    the held-out characters it lacks. Words: `WordVocabulary`; unknown units are the held-out
    words it lacks. (BPE has no unknown units: every byte has an id; the lesson adds its row.)
    """
    known_chars = set(train_text)
    words = WordVocabulary.from_text(train_text)
    heldout_words = split_words(heldout_text)
    return [
        TokenizerRow(
            "characters",
            len(known_chars),
            len(train_text),
            len(heldout_text),
            sum(c not in known_chars for c in heldout_text),
            len(heldout_text),
        ),
        TokenizerRow(
            "words",
            words.vocab_size,
            len(split_words(train_text)),
            len(heldout_words),
            len(words.unknown(heldout_text)),
            len(heldout_words),
        ),
    ]


def chunk_table(text: str, pattern: str | None = GPT2_PATTERN) -> Counter[bytes]:
    """{distinct chunk's bytes: how often it occurs} after pre-tokenizing `text`."""
    return Counter(to_utf8(c) for c in pretokenize(text, pattern))


def tokens_after_merges(table: Mapping[bytes, int], bpe, steps: Iterable[int]) -> dict[int, int]:
    """{k: number of tokens of the text after the first k merges of `bpe`}, for each k.

    `table` is the text's `chunk_table`: each distinct chunk is counted as often as it occurs,
    so this is exact and far faster than encoding the text again. The steps are taken in
    increasing order, each continuing from the previous one's ids: merges of rank < k come
    first whatever the limit (lowest rank first), and a merge never creates a pair of lower
    rank than its own, so continuing gives what encoding afresh with limit k would.
    Example: tokens_after_merges(chunk_table("aaabdaaabac", None), tok, [0, 3]) -> {0: 11, 3: 5}
    """
    steps = sorted(set(steps))
    if steps and not 0 <= steps[0] <= steps[-1] <= len(bpe.merges):
        raise ValueError(f"steps must be in 0..{len(bpe.merges)}, got {steps}")
    ranks = {m.pair: r for r, m in enumerate(bpe.merges)}
    new_ids = [m.new_id for m in bpe.merges]
    out = dict.fromkeys(steps, 0)
    for chunk, f in table.items():
        ids = [bpe.byte_ids[b] for b in chunk]
        for k in steps:
            ids = apply_merges(ids, ranks, new_ids, k)
            out[k] += f * len(ids)
    return out


def digit_token_counts(tok, n_digits: int) -> Counter[int]:
    """{number of tokens: how many of the numbers with `n_digits` digits split into that many}.

    Every number from 10^(d-1) to 10^d - 1 (0 to 9 for d = 1), encoded alone by `tok`.
    Example (GPT-2): digit_token_counts(gpt2, 3) -> Counter({1: 719, 2: 181})
    """
    return number_token_counts(tok, digit_range(n_digits))


def digit_range(n_digits: int) -> range:
    """The numbers with `n_digits` digits: range(10^(d-1), 10^d), or range(0, 10) for d = 1."""
    if not 1 <= n_digits <= 6:
        raise ValueError(f"n_digits must be 1..6 (10^6 numbers at most), got {n_digits}")
    return range(0 if n_digits == 1 else 10 ** (n_digits - 1), 10**n_digits)


def number_token_counts(tok, numbers: Iterable[int]) -> Counter[int]:
    """{number of tokens: how many of `numbers`, each encoded alone by `tok`, split into that many}.

    Example (GPT-2): number_token_counts(gpt2, [7, 1234, 12345]) -> Counter({1: 1, 2: 2})
    """
    return Counter(len(tok.encode_ordinary(str(n))) for n in numbers)


def split_summary(counts: dict[int, int]) -> str:
    """A `number_token_counts` result as prose, fewest tokens first.

    Example: split_summary({1: 719, 2: 181}) -> "719 are 1 token, 181 are 2 tokens"
    """
    return ", ".join(
        f"{n:,} {'is' if n == 1 else 'are'} {k} token{'' if k == 1 else 's'}"
        for k, n in sorted(counts.items())
    )


def pair_label(pair: Sequence[bytes | str]) -> str:
    """A merge's pair as the lesson prints it: ('a', 'b') -> "a + b" (spaces shown as ␣)."""
    parts = [p.decode("utf-8", "backslashreplace") if isinstance(p, bytes) else p for p in pair]
    return " + ".join(p.replace(" ", "␣").replace("\n", "↵") for p in parts)


def load_text(name: str) -> tuple[str | None, str]:
    """(the text of data file `name`, "") or (None, a sentence saying how to get it).

    Never raises for a missing file: the lesson shows the sentence in a callout instead.
    """
    from core.data import DataUnavailableError, read_text

    try:
        return read_text(name), ""
    except DataUnavailableError as err:
        return None, missing_data_message([name], err)


def load_gpt2() -> tuple[object | None, object | None, str]:
    """(GPT-2's `BPETokenizer`, tiktoken's `gpt2` Encoding, "") from GPT-2's two files, or
    (None, None, how to get the files) when they cannot be had. Both come from the same
    two files; tiktoken checks their SHA-256 itself."""
    from core.data import DataUnavailableError
    from core.tokenize import BPETokenizer, tiktoken_gpt2

    try:
        return BPETokenizer.from_gpt2(), tiktoken_gpt2(), ""
    except DataUnavailableError as err:
        return None, None, missing_data_message(["gpt2-vocab-bpe", "gpt2-encoder-json"], err)


def missing_data_message(names: Sequence[str], err: Exception) -> str:
    """Markdown: which files a section needs and how to get them (the error, last)."""
    from core.data.browser import in_browser
    from core.data.registry import spec

    what = " and ".join(f"*{spec(n).description}* (`{n}`)" for n in names)
    if in_browser():
        how = "This page downloads what it needs when it can; it could not (offline?)."
    else:
        commands = " and ".join(f"`python -m core.data fetch {n}`" for n in names)
        how = f"Get {'it' if len(names) == 1 else 'them'} with {commands}, then reopen the lesson."
    return f"This section needs {what}. {how}\n\n({err})"
