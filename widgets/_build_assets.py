"""Generate `widgets/_assets.py`, the widgets' `.js` and `.css` files as Python strings.

Why: marimo's WebAssembly export packs only the `.py` files of the local modules a notebook
imports into wheels, so the JavaScript beside the widgets would not reach the browser. The
`.js`/`.css` files are the only copy under version control (`widgets._base` reads them
directly); this script copies their text into a generated module that git ignores and that
only the export's wheel needs. `tools/setup.py` (every `just` recipe) and `tools/site.py`
(before exporting) run it; so do the tests before they export.

    python widgets/_build_assets.py           # write widgets/_assets.py (only if it changed)
    python widgets/_build_assets.py --check   # exit 1 (and say so) when it is missing or stale

Standard library only (with the course's stdlib-only `core.data.atomic`), and importable by
path (`tools/setup.py` runs before the environment that `import widgets` needs exists).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "_assets.py"

if str(HERE.parent) not in sys.path:  # loaded by path, before the course is installed
    sys.path.insert(0, str(HERE.parent))
from core.data.atomic import atomic_path  # noqa: E402

HEADER = '''"""The widgets' JavaScript and CSS as Python strings. GENERATED: do not edit, do not commit.

Written by `python widgets/_build_assets.py` (run by `just setup` and by the site build) from
the .js/.css files beside this module. Only the WebAssembly export uses it: `widgets._base`
reads the files themselves when they exist. Keys are file names.
"""

FILES: dict[str, str] = {
'''


def source_files(folder: Path = HERE) -> dict[str, str]:
    """{file name: text} of every .js and .css file in `folder`, sorted by name."""
    paths = sorted([*folder.glob("*.js"), *folder.glob("*.css")], key=lambda p: p.name)
    return {path.name: path.read_text(encoding="utf-8") for path in paths}


def render(files: dict[str, str]) -> str:
    """The text of `_assets.py` holding `files`, each as a raw triple-quoted string.

    Example: {"a.js": "x;\\n"} -> a module whose `FILES == {"a.js": "x;\\n"}`.
    """
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


def is_current(target: Path | None = None, folder: Path = HERE) -> bool:
    """Whether `target` (default `TARGET`) holds exactly the `.js`/`.css` files of `folder`."""
    target = TARGET if target is None else target
    try:
        return target.read_text(encoding="utf-8") == render(source_files(folder))
    except FileNotFoundError:
        return False


def write(target: Path | None = None, folder: Path = HERE) -> bool:
    """Bring `target` (default `TARGET`) up to date with `folder`'s files; True when it had
    to be (re)written.

    A no-op that touches nothing when it is current (so a rebuild stays cheap), and atomic
    otherwise: exports running side by side never read half a file.
    """
    target = TARGET if target is None else target
    wanted = render(source_files(folder))
    try:
        if target.read_text(encoding="utf-8") == wanted:
            return False
    except FileNotFoundError:
        pass
    with atomic_path(target, durable=False) as partial:
        partial.write_bytes(wanted.encode("utf-8"))
        os.chmod(partial, 0o644)  # temporaries are private; this is an ordinary source file
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that it is current")
    args = parser.parse_args(argv)
    if args.check:
        if not is_current():
            sys.stderr.write(
                f"{TARGET} is missing or stale: run `python widgets/_build_assets.py`\n"
            )
            return 1
        return 0
    write()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
