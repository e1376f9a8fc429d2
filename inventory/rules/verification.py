"""The independent second check of a batch (SAFE-05, SAFE-15).

The verifier scans every vial that was drawn and re-enters the volume per syringe without being
shown either. ``compare`` says what differs from the batch record; what it returns is for the audit
trail only: a person is never told the expected volume or the expected vials.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from inventory.rules.codes import CodeKind, parse_code


@dataclass(frozen=True)
class Comparison:
    """What the verifier entered against the record. ``scanned`` holds the vial codes read (each
    once, in scan order); ``not_vial_codes`` what was scanned but is no vial code at all."""

    volume_matches: bool
    scanned: tuple[str, ...]
    missing: tuple[str, ...]
    extra: tuple[str, ...]
    not_vial_codes: tuple[str, ...]

    @property
    def vials_match(self) -> bool:
        return not (self.missing or self.extra or self.not_vial_codes)

    @property
    def matches(self) -> bool:
        return self.volume_matches and self.vials_match


def split_scans(text: str) -> list[str]:
    """The scans typed into one field, one after another: a handheld scanner ends each with Enter
    (a new line), a person may separate them with spaces or commas."""
    return [part for part in text.replace(",", " ").split() if part]


def compare(
    entered_ul: int, expected_ul: int, scans: Iterable[str] | None, drawn_codes: Iterable[str]
) -> Comparison:
    """Compare the verifier's volume and vial scans with the batch record. No scans at all
    (``None``) is a mismatch like an empty list: every drawn vial is then missing. The same vial
    scanned twice counts once (a scanner's double read is harmless)."""
    scanned: list[str] = []
    not_vial: list[str] = []
    for raw in scans or ():
        parsed = parse_code(raw)
        if parsed is None or parsed[0] != CodeKind.VIAL:
            not_vial.append(raw.strip())
        elif parsed[1] not in scanned:
            scanned.append(parsed[1])
    drawn = list(dict.fromkeys(drawn_codes))
    return Comparison(
        volume_matches=entered_ul == expected_ul,
        scanned=tuple(scanned),
        missing=tuple(code for code in drawn if code not in scanned),
        extra=tuple(code for code in scanned if code not in drawn),
        not_vial_codes=tuple(not_vial),
    )
