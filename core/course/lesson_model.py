"""The trained model the browser lessons (7, 9) look inside: a small character-level GPT.

The course's `shakespeare-char-cpu` run (4 layers × 4 heads × 128 wide, 64 characters of
context, Tiny Shakespeare's 65 characters), trained once by `python -m core.train.lesson_model`
(which needs torch; `just lesson-model` runs it) and saved as NumPy arrays in one .npz file,
`MODEL_FILE`. The lessons run it with `core.mirrors.gpt.NumpyGPT`, so they need no torch.

`load_lesson_model(mo)` finds the file and falls back, said plainly, to a random model of the
same shape:

    on a machine   COURSE_DATA_DIR/MODEL_FILE, then the cache (core.data.files.cache_dir()),
                   then the lesson's public/ folder beside the notebook
    in the browser the lesson's public/ folder (mo.notebook_location() / "public"), where the
                   site build (tools/site.py) copies the file when it was made

The file is never committed: it is made on the machine (about ten minutes on one CPU core).

Torch-free: the browser lessons import this module.

Example:
    >>> lm = load_lesson_model()
    >>> lm.trained, lm.model.config.n_head       # False until the file is made
    (False, 4)
    >>> logits, weights = lm.model.forward(lm.encode("To be"))
    >>> weights.shape                              # (layers, heads, T, T)
    (4, 4, 5, 5)
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.data import browser
from core.data.files import cache_dir, data_dir
from core.mirrors.gpt import NumpyGPT

MODEL_FILE = "shakespeare-char-cpu.npz"
PRESET = "shakespeare-char-cpu"
MAKE_COMMAND = "python -m core.train.lesson_model"
# Tiny Shakespeare's 65 distinct characters, sorted (core.tokenize.CharTokenizer's vocabulary of
# the text; a test holds this equal to it), so the random stand-in reads the same alphabet.
SHAKESPEARE_CHARS = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# The shape of the preset (core.model.config.PRESETS["shakespeare-char-cpu"]; a test holds it).
SHAPE = dict(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128, gelu="exact")


def _describe_char(c: str) -> str:
    return {"\n": "a line break", "\t": "a tab", " ": "a space"}.get(c, repr(c))


@dataclass
class LessonModel:
    """A character-level GPT in NumPy, its vocabulary, and what it is.

    chars: the vocabulary, id i is chars[i]. trained: False for the random stand-in.
    description: which model this is, in a sentence for the page. source: where it was read
    (a path or URL; "" for the random stand-in). meta: the file's metadata record.
    """

    model: NumpyGPT
    chars: str
    trained: bool
    description: str
    source: str = ""
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._ids = {c: i for i, c in enumerate(self.chars)}

    @property
    def block_size(self) -> int:
        """The longest text (in characters) the model reads at once."""
        return self.model.config.block_size

    def encode(self, text: str) -> np.ndarray:
        """Character ids of `text` (an empty text gives an empty array).

        ValueError names every character that is not in the vocabulary.
        """
        missing = sorted({c for c in text if c not in self._ids})
        if missing:
            listed = ", ".join(_describe_char(c) for c in missing)
            raise ValueError(
                f"the model knows only the {len(self.chars)} characters of Tiny Shakespeare "
                f"(plain English letters, digit 3, space, line break and . , ; : ! ? ' & $ -); "
                f"these are not among them: {listed}"
            )
        return np.array([self._ids[c] for c in text], dtype=np.int64)

    def decode(self, ids) -> str:
        """The text of a sequence of ids."""
        return "".join(self.chars[int(i)] for i in ids)


def random_lesson_model(seed: int = 0, why: str = "") -> LessonModel:
    """A random, untrained model of the trained one's shape and alphabet (the stand-in)."""
    model = NumpyGPT.random(seed=seed, **SHAPE)
    description = (
        f"a random, untrained model ({describe_shape(model)}, weights drawn at random with "
        f"seed {seed}): its heads show what attention looks like before any training. "
        f"{why}The trained one is made once, on a machine with the course installed, by "
        f"`{MAKE_COMMAND}` (or `just lesson-model`), about ten minutes on a CPU."
    )
    return LessonModel(model, SHAKESPEARE_CHARS, False, description)


def describe_shape(model: NumpyGPT) -> str:
    """ "4 layers × 4 heads × 128 wide, 207,936 parameters" for a model."""
    c = model.config
    n = sum(w.size for w in model.weights.values())
    return f"{c.n_layer} layers × {c.n_head} heads × {c.n_embd} wide, {n:,} parameters"


def from_file(path, source: str | None = None) -> LessonModel:
    """The model saved in `path` by `core.train.lesson_model.make_lesson_model`.

    ValueError when the file is not a character model (its metadata has no `chars` of the
    model's vocabulary size).
    """
    model, meta = NumpyGPT.load(path)
    chars = meta.get("chars")
    if not isinstance(chars, str) or len(chars) != model.config.vocab_size:
        raise ValueError(f"{path} holds no character vocabulary of {model.config.vocab_size}")
    steps, val = meta.get("steps"), meta.get("val_loss")
    trained = f"trained {steps:,} steps on Tiny Shakespeare" if steps else "trained"
    loss = f", validation loss {val:.3f} (nats per character)" if val is not None else ""
    description = f"the course's `{meta.get('preset', PRESET)}` model ({describe_shape(model)}, character-level), {trained}{loss}"
    return LessonModel(model, chars, True, description, source or str(path), meta)


def model_paths(mo=None) -> list[Path]:
    """Where a machine looks for MODEL_FILE, in order (those that may exist)."""
    places = [data_dir(), cache_dir()]
    if mo is not None:
        with contextlib.suppress(Exception):  # no notebook, or not a local path
            location = mo.notebook_location()
            if location is not None:
                places.append(Path(str(location)) / "public")
    return [p / MODEL_FILE for p in places if p is not None]


def load_lesson_model(mo=None, *, seed: int = 0) -> LessonModel:
    """The trained model if its file is here (see the module's docstring), else the random
    stand-in whose description says so and names the command that makes the trained one."""
    if browser.in_browser():
        if mo is None:
            return random_lesson_model(seed, "This page could not look for the trained one. ")
        url = str(mo.notebook_location() / "public" / MODEL_FILE)
        try:
            body = browser.browser_get(url)
        except OSError as err:
            return random_lesson_model(
                seed, f"This page found no trained model at {url} ({err}): the site was built "
                "without it. "
            )  # fmt: skip
        with tempfile.NamedTemporaryFile(suffix=".npz", delete=False) as f:
            f.write(body)
        try:
            return from_file(f.name, source=url)
        except (ValueError, OSError, KeyError) as err:
            return random_lesson_model(seed, f"The file at {url} could not be read ({err}). ")
    problems = []
    for path in model_paths(mo):
        if path.is_file():
            try:
                return from_file(path)
            except (ValueError, OSError, KeyError) as err:
                problems.append(f"{path} could not be read ({err}). ")
    return random_lesson_model(seed, "".join(problems) or f"No {MODEL_FILE} on this machine. ")
