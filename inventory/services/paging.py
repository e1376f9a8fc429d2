"""One page of a long list that a page shows (the lot trace, the lots): the count of the whole list and
the page's items, so that no page grows with the years. The full lists go out as CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

PER_PAGE = 50

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a long list: what a page shows, with the count of the whole list."""

    items: list[T]
    number: int
    pages: int
    total: int

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


def page_of(items: Sequence[T], number: int | None, per_page: int = PER_PAGE) -> Page[T]:
    pages = max(1, -(-len(items) // per_page))
    number = min(max(1, number or 1), pages)
    start = (number - 1) * per_page
    return Page(list(items[start : start + per_page]), number, pages, len(items))


__all__ = ["PER_PAGE", "Page", "page_of"]
