"""`python -m core.data list | fetch NAME | fetch-all`: the course's data files from a terminal."""

from __future__ import annotations

import sys

from core.data.files import DataUnavailableError, cache_dir, data_dir, fetch
from core.data.registry import REGISTRY


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["list"]:
        for f in REGISTRY.values():
            print(f"{f.name:24} {f.size:>10,} B  {f.description}")
        return 0
    if args == ["fetch-all"]:
        where = data_dir() or cache_dir()
        for name in REGISTRY:
            try:
                print(f"{name:24} {fetch(name)}")
            except DataUnavailableError as err:
                print(f"error: {err}", file=sys.stderr)
                return 1
        print(f"All {len(REGISTRY)} data files are in {where}.")
        return 0
    if len(args) == 2 and args[0] == "fetch":
        try:
            print(fetch(args[1]))
        except (DataUnavailableError, ValueError) as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        return 0
    print("usage: python -m core.data [list | fetch NAME | fetch-all]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
