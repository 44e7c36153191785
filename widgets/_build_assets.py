"""Regenerate `widgets/_assets.py` from the `.js` and `.css` files beside the widgets.

Why: marimo's WebAssembly export packs only the `.py` files of the local modules a notebook
imports into wheels, so a widget that read its JavaScript from a `.js` file would reach the
browser without it. The readable sources stay in `.js`/`.css` files; this script copies their
text into one generated Python module that the widgets import. A test fails when the two
disagree.

    python widgets/_build_assets.py           # rewrite widgets/_assets.py
    python widgets/_build_assets.py --check   # exit 1 (and say which file) when it is stale
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "_assets.py"

HEADER = '''"""The widgets' JavaScript and CSS as Python strings. GENERATED: do not edit.

Edit the .js/.css files beside this module, then run `python widgets/_build_assets.py`.
Keys are file names; `widgets._base.esm` and `css` put the shared files first.
"""

FILES: dict[str, str] = {
'''


def source_files(folder: Path = HERE) -> dict[str, str]:
    """{file name: text} of every .js and .css file in `folder`, sorted by name."""
    paths = sorted([*folder.glob("*.js"), *folder.glob("*.css")], key=lambda p: p.name)
    return {path.name: path.read_text(encoding="utf-8") for path in paths}


def render(files: dict[str, str]) -> str:
    """The text of `_assets.py` holding `files`, each as a raw triple-quoted string."""
    parts = [HEADER]
    for name, text in files.items():
        if '"""' in text or text.endswith("\\") or not text.endswith("\n"):
            raise ValueError(
                f"{name} cannot be embedded as a raw string: it must end with a newline and "
                'contain no """ (use another quote style in the JavaScript)'
            )
        parts.append(f'    "{name}": r"""{text}""",\n')
    parts.append("}\n")
    return "".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that it is current")
    args = parser.parse_args(argv)
    wanted = render(source_files())
    current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
    if args.check:
        if current != wanted:
            sys.stderr.write(f"{TARGET} is stale: run `python widgets/_build_assets.py`\n")
            return 1
        return 0
    if current != wanted:
        TARGET.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
