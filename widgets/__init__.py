"""anywidget widgets the lessons share. Python validates and computes; JavaScript draws.

Wrap each in `mo.ui.anywidget(...)` once, in a cell of its own, and push new data into it
from other cells (`heatmap.weights = ...`, or `.update(...)` to change several traits
together): the widget redraws in place. What the learner does comes back as traits
(`selected_query`, `step`, `vectors`, ...), and marimo re-runs the cells that read them.

- `AttentionHeatmap`: attention weights, tokens on both axes, one map or a grid of heads.
- `AttentionTrace`: every stage of one attention head on tiny sizes, numbers shown.
- `TokenStrip`: a text as its tokens, whitespace and byte-level pieces made visible.
- `BPEMergePlayer`: replays a BPE training merge by merge.
- `VectorPlane`: named 2-D vectors the learner drags.
- `NextTokenDistribution`: what temperature, top-k and top-p keep and drop.

All are torch-free: they run in the browser (WebAssembly) too. Their JavaScript and CSS live
beside them as .js/.css files, which they read; the WebAssembly export's wheel carries a
generated copy, `_assets.py` (git-ignored; `just setup` and the site build write it).
"""

from widgets._base import CourseWidget, WidgetDataError
from widgets.attention_heatmap import AttentionHeatmap
from widgets.attention_trace import AttentionTrace
from widgets.bpe_merge_player import BPEMergePlayer
from widgets.next_token import NextTokenDistribution
from widgets.token_strip import TokenStrip
from widgets.vector_plane import VectorPlane

__all__ = [
    "AttentionHeatmap",
    "AttentionTrace",
    "BPEMergePlayer",
    "CourseWidget",
    "NextTokenDistribution",
    "TokenStrip",
    "VectorPlane",
    "WidgetDataError",
]
