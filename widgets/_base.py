"""What every course widget shares: strict keywords, one error type, JS and CSS from `_assets`.

A widget class names its JavaScript and CSS by file stem:

    class AttentionHeatmap(CourseWidget):
        _esm = esm("attention_heatmap")   # _common.js + attention_heatmap.js
        _css = css("attention_heatmap")   # _common.css + attention_heatmap.css
        _required = ("tokens", "weights")

The text comes from `widgets/_assets.py`, generated from the `.js`/`.css` files beside the
widgets by `python widgets/_build_assets.py`. marimo's WebAssembly export ships only `.py` files
of local modules, so the JavaScript must travel inside a Python module to reach the browser.

Keywords are strict: an unknown keyword, or a missing required one, raises `ValueError`
naming it (a typo such as `selected_qeury=2` must not pass silently).
"""

from __future__ import annotations

from typing import Any, ClassVar

import anywidget
import traitlets

from widgets import _assets


class WidgetDataError(traitlets.TraitError, ValueError):
    """Malformed widget data. A `ValueError` (and a `TraitError`, so traitlets rolls back)."""


def esm(stem: str) -> str:
    """The ES module of widget `stem`: the shared helpers followed by the widget's own code."""
    return _assets.FILES["_common.js"] + "\n" + _assets.FILES[f"{stem}.js"]


def css(stem: str) -> str:
    """The stylesheet of widget `stem`: the shared theme variables, then the widget's rules."""
    return _assets.FILES["_common.css"] + "\n" + _assets.FILES[f"{stem}.css"]


class CourseWidget(anywidget.AnyWidget):
    """Base class: rejects unknown and missing keywords; `update` sets several traits at once.

    Subclasses declare their data as traits tagged `sync=True` and list the ones a learner
    must give in `_required`.
    """

    _required: ClassVar[tuple[str, ...]] = ()

    def __init__(self, **kwargs: Any) -> None:
        name = type(self).__name__
        accepted = self.data_trait_names()
        unknown = sorted(set(kwargs) - accepted)
        if unknown:
            raise ValueError(
                f"{name} got unknown keyword argument(s) {', '.join(unknown)}; "
                f"it accepts {', '.join(sorted(accepted))}"
            )
        missing = [key for key in self._required if key not in kwargs]
        if missing:
            raise ValueError(f"{name} needs {', '.join(f'{k}=' for k in missing)} to draw anything")
        super().__init__(**kwargs)

    @classmethod
    def data_trait_names(cls) -> set[str]:
        """The synced traits a learner may set: this widget's own, not ipywidgets' plumbing."""
        plumbing = set(anywidget.AnyWidget.class_trait_names())
        return {
            key
            for key in cls.class_trait_names(sync=True)
            if key not in plumbing and not key.startswith("_")
        }

    def update(self, **traits: Any) -> None:
        """Set several traits together, checked together (e.g. new tokens with new weights).

        Either every value is accepted or none is: on a `ValueError` the widget keeps its
        previous data. The browser receives one message.
        """
        unknown = sorted(set(traits) - self.data_trait_names())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no trait(s) {', '.join(unknown)}")
        with self.hold_sync(), self.hold_trait_notifications():
            for key, value in traits.items():
                setattr(self, key, value)
