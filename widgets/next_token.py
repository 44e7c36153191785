"""NextTokenDistribution: what temperature, top-k and top-p keep and drop of a distribution.

Python computes the numbers with `core.mirrors.sampling` (the same NumPy filters the lessons use);
the browser draws one bar per candidate token, most likely first:

    scaled = softmax(logits / temperature)            the outlined bar ("after temperature")
    kept   = the tokens top-k and top-p leave          solid bars; dropped ones are grey
    final  = softmax of the kept logits (renormalised)  what sampling will actually use

Clicking a bar reports that token's index (`selected`). The computed numbers are readable
from Python as `distribution` ({"scaled", "kept", "final"}, one entry per token).

Example:
    >>> dist = NextTokenDistribution(tokens=["cat", "dog", "car"], logits=[2.0, 1.0, 0.0], top_k=2)
    >>> dist.distribution["kept"], [round(p, 3) for p in dist.distribution["final"]]
    ([True, True, False], [0.731, 0.269, 0.0])
"""

from __future__ import annotations

import numpy as np
import traitlets

from core.mirrors.sampling import filter_logits, softmax
from widgets._base import CourseWidget, css, esm
from widgets._checks import Index, Number, Tokens, Vector, check_sizes, count, selection


class NextTokenDistribution(CourseWidget):
    """Logits and sampling settings in; the clicked token's index comes back.

    tokens: the V candidate tokens (e.g. a model's 20 most likely next tokens).
    logits: their V logits.
    temperature: >= 0 (0 is greedy). top_k: keep the k most likely (None: off).
    top_p: keep the smallest most-likely set whose mass reaches p, in (0, 1] (None: off).
    max_bars: draw at most this many bars (the rest are summarised in one line).
    selected: index of the token the learner clicked, or None.
    distribution: read-only, computed here: {"scaled": [...], "kept": [...], "final": [...]}.
    """

    _esm = esm("next_token")
    _css = css("next_token")
    _required = ("tokens", "logits")

    tokens = Tokens().tag(sync=True)
    logits = Vector().tag(sync=True)
    temperature = Number(1.0, kind=float, low=0.0).tag(sync=True)
    top_k = Number(None, low=1, allow_none=True).tag(sync=True)
    top_p = Number(None, kind=float, low=1e-12, high=1.0, allow_none=True).tag(sync=True)
    max_bars = Number(20, low=1, high=200).tag(sync=True)
    selected = Index().tag(sync=True)
    distribution = traitlets.Dict(read_only=True).tag(sync=True)

    @classmethod
    def data_trait_names(cls) -> set[str]:
        return super().data_trait_names() - {"distribution"}

    _check_selected, _forget_selected = selection("selected", among="tokens")

    @traitlets.validate("tokens", "logits")
    def _check_sizes(self, proposal):
        check_sizes(self, proposal, tokens=count("tokens"), logits=count("logits"))
        return proposal.value

    @traitlets.observe("logits", "temperature", "top_k", "top_p")
    def _recompute(self, change=None) -> None:
        if not self.logits:
            return
        logits = np.asarray(self.logits)
        filtered = filter_logits(logits, self.temperature, self.top_k, self.top_p)
        self.set_trait(
            "distribution",
            {
                "scaled": softmax(logits, self.temperature).tolist(),
                "kept": np.isfinite(filtered).tolist(),
                "final": softmax(filtered).tolist(),
            },
        )
