"""The course's table of contents: modules and lessons, in order. Torch-free.

One place that says which lessons exist, what each teaches, and where each runs. The course
home page, the site builder and the tests read it; a lesson's file in `lessons/` is named
`{series}-{module}-{lesson}-{slug}.py` (e.g. `4-2-5-queries-and-keys.py`) and is found by
that name. Lessons that run in the browser (WebAssembly, no torch) are marked `browser=True`.

Example:
    >>> lesson = LESSONS[4]
    >>> lesson.filename, lesson.browser
    ('4-2-5-queries-and-keys.py', True)
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

SERIES = 4
LESSONS_DIR = Path(__file__).resolve().parents[2] / "lessons"
LESSON_FILE = re.compile(r"^(\d+)-(\d+)-(\d+)-([a-z0-9]+(?:-[a-z0-9]+)*)\.py$")


@dataclass(frozen=True)
class Module:
    number: int
    title: str
    summary: str


@dataclass(frozen=True)
class Lesson:
    number: int  # 1 … 18, the lesson's place in the course
    module: int  # 1 … 4
    slug: str
    title: str
    description: str
    browser: bool  # runs without torch, so it is exported to WebAssembly

    @property
    def stem(self) -> str:
        return f"{SERIES}-{self.module}-{self.number}-{self.slug}"

    @property
    def filename(self) -> str:
        return f"{self.stem}.py"

    def path(self, lessons_dir: Path = LESSONS_DIR) -> Path:
        return lessons_dir / self.filename

    def exists(self, lessons_dir: Path = LESSONS_DIR) -> bool:
        return self.path(lessons_dir).is_file()


MODULES = [
    Module(
        1,
        "Language Modeling Fundamentals",
        "What a language model predicts, and the tokens and vectors it works on.",
    ),
    Module(
        2,
        "Attention & the Transformer",
        "Attention built up piece by piece, then assembled into the GPT architecture.",
    ),
    Module(
        3,
        "Building & Training GPT",
        "Your own GPT in PyTorch, pretrained on Shakespeare, then real GPT-2 weights.",
    ),
    Module(
        4,
        "Beyond Pretraining",
        "Finetuning, instruction tuning, alignment, and making models small and fast.",
    ),
]

# fmt: off
LESSONS = [
    Lesson(1, 1, "what-is-a-language-model", "What is a Language Model?",
           "Probability over sequences, next-token prediction, autoregressive generation, temperature and sampling.", True),
    Lesson(2, 1, "tokenization", "Tokenization",
           "Characters, words and subwords; byte-pair encoding built from scratch; how tokens shape behaviour.", True),
    Lesson(3, 1, "embeddings-and-position", "Embeddings & Positional Encoding",
           "Embeddings as lookup tables, why order needs encoding, sinusoidal versus learned positions.", True),
    Lesson(4, 2, "the-problem-attention-solves", "The Problem Attention Solves",
           "Context changes meaning; bags of words lose it; dot-product attention without Q, K, V, and its limits.", True),
    Lesson(5, 2, "queries-and-keys", "Queries, Keys, and the Relevance Function",
           "Seeking versus advertising: W_Q and W_K as learned projections, QKᵀ as relevance, the √d scaling.", True),
    Lesson(6, 2, "values-and-attention-output", "Values and the Attention Output",
           "V as what a token contributes, the full single-head operation, the residual stream, implemented by you.", True),
    Lesson(7, 2, "multi-head-attention", "Multi-Head Attention",
           "Several notions of relevance in parallel, concatenation and output projection, what heads attend to.", True),
    Lesson(8, 2, "the-transformer-block", "The Transformer Block",
           "Why deep stacks need residuals and LayerNorm; GPT-2's pre-norm block; the residual stream as a running sum; the MLP.", True),
    Lesson(9, 2, "decoder-only-transformers", "Decoder-Only Transformers (GPT Architecture)",
           "Causal masking, why decoder-only won, the full architecture, counting parameters.", True),
    Lesson(10, 3, "building-nanogpt", "Building nanoGPT",
           "The whole model in PyTorch, weight initialisation, a forward pass, text from an untrained model.", False),
    Lesson(11, 3, "pretraining", "Pretraining: The Training Loop",
           "Tiny Shakespeare, the training loop, loss curves, learning-rate schedules, samples getting better.", False),
    Lesson(12, 3, "scaling-and-efficiency", "Scaling & Efficiency",
           "What changes at scale: GPU utilisation, mixed precision, KV caching, flash attention, scaling laws.", False),
    Lesson(13, 3, "loading-real-weights", "Loading Real Weights",
           "GPT-2's weights in your architecture, checked against the reference, writing coherent text.", False),
    Lesson(14, 4, "finetuning-for-classification", "Finetuning for Classification",
           "From a pretrained model to a spam classifier: task heads, freezing layers, transfer learning.", False),
    Lesson(15, 4, "instruction-tuning", "Instruction Tuning (SFT)",
           "How chat models differ from base models, instruction data, supervised finetuning, chat templates.", False),
    Lesson(16, 4, "rlhf-and-alignment", "RLHF & Alignment",
           "Reward models, the idea of PPO, DPO as the simpler alternative, why alignment matters.", False),
    Lesson(17, 4, "lora-and-quantization", "LoRA, Quantization & Inference",
           "Parameter-efficient finetuning, quantization for small hardware, KV caching for fast inference.", False),
    Lesson(18, 4, "putting-it-all-together", "Putting It All Together",
           "The whole pipeline: pretrain, SFT, align, serve; the mental model to carry forward.", False),
]
# fmt: on


def lesson(number: int) -> Lesson:
    """The lesson with this number (1 … 18)."""
    for item in LESSONS:
        if item.number == number:
            return item
    raise ValueError(f"there is no lesson {number}; lessons are numbered 1 to {len(LESSONS)}")


def lesson_sort_key(filename: str) -> tuple[int, int, int]:
    """Sort lesson files by their three integers, not as strings (4-2-10 after 4-2-9)."""
    match = LESSON_FILE.match(filename)
    if match is None:
        raise ValueError(
            f"{filename!r} does not follow {{series}}-{{module}}-{{lesson}}-{{slug}}.py"
        )
    return int(match[1]), int(match[2]), int(match[3])


def lesson_files(lessons_dir: Path = LESSONS_DIR) -> list[Path]:
    """Every lesson notebook present in `lessons_dir`, in course order."""
    found = [p for p in lessons_dir.glob("*.py") if LESSON_FILE.match(p.name)]
    return sorted(found, key=lambda p: lesson_sort_key(p.name))


def where_shown(mo) -> str:
    """Where a notebook is being shown: "editor" (`marimo edit`), "app" (`marimo run`, the
    course server) or "site" (the static site: a WebAssembly page, or a page exported with its
    outputs, which tools/site.py marks with `-- --published`). `mo` is the marimo module.
    """
    if sys.platform == "emscripten" or mo.cli_args().get("published") is not None:
        return "site"
    return "editor" if mo.app_meta().mode == "edit" else "app"


def lesson_href(target: Lesson, where: str, lessons_dir: Path = LESSONS_DIR) -> str | None:
    """A relative link from one lesson page to another, or None when there is nothing to open.

    The app (tools/serve.py) and the site (tools/site.py) put lesson N at `lessons/<stem>/`,
    with a "coming soon" page for every lesson not written yet, so `../<stem>/` always works
    there. The editor opens notebooks by file name, and only existing ones (opening a missing
    file would create it).
    Example: lesson_href(lesson(5), "app") -> "../4-2-5-queries-and-keys/"
    """
    if where == "editor":
        return f"?file={target.filename}" if target.exists(lessons_dir) else None
    if where in ("app", "site"):
        return f"../{target.stem}/"
    raise ValueError(f"where must be 'editor', 'app' or 'site', got {where!r}")


def next_lesson_markdown(number: int, mo) -> str:
    """The closing "Next:" line of lesson `number`, linked the way this page is shown."""
    if number >= len(LESSONS):
        return "**Next:** that was the last lesson. Back to the [course home](../../)."
    target = lesson(number + 1)
    where = where_shown(mo)
    href = lesson_href(target, where, Path(mo.notebook_dir() or LESSONS_DIR))
    label = f"Lesson {target.number} · {target.title}"
    if href is None:
        return f"**Next:** {label} (coming soon)."
    return f"**Next:** [{label}]({href})"
