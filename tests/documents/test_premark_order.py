"""The order in which a classified document's pages are marked in advance."""

from __future__ import annotations

from phonghop.documents.premark import PageOrder


def drain(order: PageOrder) -> list[int]:
    pages = []
    while (page := order.next()) is not None:
        pages.append(page)
    return pages


def test_from_the_presenters_page_on_then_the_beginning() -> None:
    assert drain(PageOrder(5, first=3)) == [3, 4, 5, 1, 2]
    assert drain(PageOrder(3)) == [1, 2, 3]
    assert drain(PageOrder(3, first=9)) == [1, 2, 3]  # a page the version does not have


def test_a_page_the_presenter_turns_to_is_marked_next() -> None:
    order = PageOrder(6, first=2)
    assert order.next() == 2
    order.move_to_front(5)
    assert order.next() == 5
    order.move_to_front(2)  # already marked: nothing to do
    assert drain(order) == [3, 4, 6, 1]
