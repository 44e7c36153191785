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
from widgets._checks import Index, Number, Tokens, Vector, check_sizes, count, fail, selection

SETTINGS = ("logits", "temperature", "top_k", "top_p")


def distribution(
    logits: list[float], temperature: float, top_k: int | None, top_p: float | None
) -> dict[str, list]:
    """The numbers the widget draws: {"scaled", "kept", "final"}, one entry per token."""
    logits = np.asarray(logits)
    filtered = filter_logits(logits, temperature, top_k, top_p)
    return {
        "scaled": softmax(logits, temperature),
        "kept": np.isfinite(filtered),
        "final": softmax(filtered),
    }


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

    @traitlets.validate("tokens", *SETTINGS)
    def _check(self, proposal):
        check_sizes(self, proposal, tokens=count("tokens"), logits=count("logits"))
        if proposal.trait.name in SETTINGS:
            settings = {name: getattr(self, name) for name in SETTINGS}
            settings[proposal.trait.name] = proposal.value
            if settings["logits"]:
                self._numbers(settings)  # refused here, before the trait changes
        return proposal.value

    def _numbers(self, settings: dict) -> dict[str, list]:
        numbers = distribution(**settings)
        for key in ("scaled", "final"):
            if not np.isfinite(numbers[key]).all():  # never for finite logits; a safety net
                raise fail(
                    self,
                    "logits",
                    f"these logits and settings give a non-finite {key} distribution "
                    f"(temperature {settings['temperature']}): nothing is drawn",
                )
        return {key: value.tolist() for key, value in numbers.items()}

    @traitlets.observe(*SETTINGS)
    def _recompute(self, change=None) -> None:
        if not self.logits:
            return
        self.set_trait("distribution", self._numbers({n: getattr(self, n) for n in SETTINGS}))
