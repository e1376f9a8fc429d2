#!/usr/bin/env python3
"""Generate ``inventory/rules/gs1_ai.py``, the table of GS1 Application Identifiers, from the GS1
Barcode Syntax Dictionary (``gs1-syntax-dictionary.txt``, Apache 2.0, maintained by GS1 AISBL at
https://github.com/gs1/gs1-syntax-dictionary) so that no AI is typed by hand (domain.md GS1-08).

    python scripts/gs1_ai_table.py PATH/TO/gs1-syntax-dictionary.txt          # rewrite the module
    python scripts/gs1_ai_table.py PATH/TO/gs1-syntax-dictionary.txt --check  # exit 1 if it differs

The dictionary file itself is not kept in this repository: bring a release of it (a tag of that
repository, such as 2026-01-27) and run this script; ``tests/rules/test_gs1_dictionary.py`` compares the
committed module with what this script makes from the file named by ``GS1_SYNTAX_DICTIONARY``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "inventory" / "rules" / "gs1_ai.py"

_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\.\.)?(\d+)(\])?$")


@dataclass(frozen=True)
class Entry:
    ai: str
    flags: str
    components: tuple[tuple[str, int, int, bool, tuple[str, ...]], ...]
    dlpkey: str | None
    title: str


def _ais(spec: str) -> list[str]:
    """A solitary AI or a range such as ``3100-3105`` (same length, inclusive)."""
    if "-" not in spec:
        return [spec]
    first, last = spec.split("-")
    return [str(n).zfill(len(first)) for n in range(int(first), int(last) + 1)]


def _component(token: str) -> tuple[str, int, int, bool, tuple[str, ...]]:
    """``N6,yymmd0`` → ("N", 6, 6, False, ("yymmd0",)); ``[N..12]`` → ("N", 1, 12, True, ())."""
    head, *linters = token.split(",")
    match = _COMPONENT.match(head)
    if match is None:
        raise ValueError(f"not a component: {token!r}")
    opening, cset, variable, length, closing = match.groups()
    if bool(opening) != bool(closing):
        raise ValueError(f"unbalanced optional component: {token!r}")
    size = int(length)
    return (cset, 1 if variable else size, size, bool(opening), tuple(linters))


def parse(text: str) -> tuple[str, list[Entry]]:
    """The dictionary's release and its entries, one per AI (ranges expanded), in the file's order."""
    release = "unknown"
    entries: list[Entry] = []
    for line in text.splitlines():
        found = re.match(r"#\s*Release:\s*(\S+)", line)
        if found:
            release = found.group(1)
        body, _hash, title = line.partition("#")
        tokens = body.split()
        if not tokens:
            continue
        ais, rest = tokens[0], tokens[1:]
        flags = ""
        if rest and not re.match(r"^\[?[NXYZ]", rest[0]):
            flags, rest = rest[0], rest[1:]
        components = []
        attributes = []
        for token in rest:
            if re.match(r"^\[?[NXYZ](\.\.)?\d", token):
                components.append(_component(token))
            else:
                attributes.append(token)
        dlpkey = None
        for attribute in attributes:
            key, _eq, value = attribute.partition("=")
            if key == "dlpkey":
                dlpkey = value
        for ai in _ais(ais):
            entries.append(Entry(ai, flags, tuple(components), dlpkey, title.strip()))
    return release, entries


HEADER = '''"""GS1 Application Identifiers: GENERATED, do not edit (run ``scripts/gs1_ai_table.py``).

Source: the GS1 Barcode Syntax Dictionary, gs1-syntax-dictionary.txt, release {release}
(https://github.com/gs1/gs1-syntax-dictionary). Copyright (c) 2020-2021 BWIPP project,
(c) 2020-2021 Zint Project, (c) 2021-2025 GS1 AISBL; licensed under the Apache License, Version 2.0
(http://www.apache.org/licenses/LICENSE-2.0). This module is a mechanical transcription of that file.

``AI_ENTRIES[ai] = (flags, components, dlpkey, title)``: ``flags`` as in the dictionary ("*" a
predefined length that needs no separator, "?" allowed as a GS1 Digital Link data attribute);
each component is ``(character set N/X/Y/Z, minimum length, maximum length, optional, linters)``;
``dlpkey`` is None, "" (a Digital Link primary key without qualifiers) or its qualifier sequences
("22,10,21|235").
"""
# ruff: noqa: E501

from __future__ import annotations

RELEASE = "{release}"

Component = tuple[str, int, int, bool, tuple[str, ...]]

# fmt: off
AI_ENTRIES: dict[str, tuple[str, tuple[Component, ...], str | None, str]] = {{
'''


def _q(text: str | None) -> str:
    return "None" if text is None else json.dumps(text, ensure_ascii=False)


def _tuple(items: list[str]) -> str:
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def render(release: str, entries: list[Entry]) -> str:
    lines = [HEADER.format(release=release)]
    for entry in entries:
        components = _tuple(
            [
                f"({_q(cset)}, {low}, {high}, {optional}, {_tuple([_q(name) for name in linters])})"
                for cset, low, high, optional, linters in entry.components
            ]
        )
        lines.append(
            f"    {_q(entry.ai)}: ({_q(entry.flags)}, {components}, {_q(entry.dlpkey)}, {_q(entry.title)}),\n"
        )
    lines.append("}\n# fmt: on\n")
    return "".join(lines)


def generate(dictionary: Path) -> str:
    release, entries = parse(dictionary.read_text(encoding="utf-8"))
    return render(release, entries)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("dictionary", type=Path, help="gs1-syntax-dictionary.txt")
    parser.add_argument("--check", action="store_true", help="compare with the committed module only")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    module = generate(args.dictionary)
    if args.check:
        same = args.output.read_text(encoding="utf-8") == module
        print("up to date" if same else f"{args.output} differs from {args.dictionary}")
        return 0 if same else 1
    args.output.write_text(module, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
