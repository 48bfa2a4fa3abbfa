"""Screenshots compared with reviewed references (``tests/browser/references/<name>.png``).

:func:`compare_screen` takes a screenshot the same way every time (animations finished,
text caret hidden, what legitimately varies painted over with :data:`MASK_COLOR`), writes
it to the screenshots folder for review (``PHONGHOP_SCREENSHOTS``, default
``/work/screens``), and compares it with its reference:

- a pixel differs when one of its channels differs by more than ``threshold`` (0–255):
  the noise of anti-aliased edges stays under it;
- the screen differs when its size changed or more than ``max_fraction`` of its pixels
  differ. On this machine the same build draws the same pixels, so the tolerance is small.

A screen that differs fails the test, which names ``<name>.actual.png`` (what was drawn)
and ``<name>.diff.png`` (the differing pixels in red over a faded reference) in the
screenshots folder.

To re-review: ``PHONGHOP_UPDATE_SCREENS=1 scripts/test tests/browser/test_screens.py``
rewrites the references that differ (and only those: a screen within the tolerance keeps
its file), then ``git diff --stat tests/browser/references`` lists them; look at each
before committing it (see docs/testing.md).
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PIL import Image, ImageChops

if TYPE_CHECKING:
    from playwright.sync_api import FloatRect, Locator, Page

REFERENCES = Path(__file__).parent / "references"
SCREENS = Path(os.environ.get("PHONGHOP_SCREENSHOTS") or "/work/screens")
#: ``PHONGHOP_UPDATE_SCREENS=1``: write the references that differ instead of failing.
UPDATE = os.environ.get("PHONGHOP_UPDATE_SCREENS", "") not in ("", "0")
#: What covers a masked region (dates, times, codes): a colour no screen uses.
MASK_COLOR = "#FF00FF"
CHANNEL_THRESHOLD = 32
MAX_DIFF_FRACTION = 0.0002
#: The browser build the references were drawn with (``Browser.version``), written with them.
BUILD_FILE = REFERENCES / "BROWSER"
#: Another build (Debian updates its chromium) draws text a little differently, not the
#: layout: compared then at this looser tolerance, which a moved or missing control,
#: a wrap or a new colour still exceeds, and the failure says so.
OTHER_BUILD_THRESHOLD = 64
OTHER_BUILD_FRACTION = 0.01


def differing_pixels(actual: Image.Image, reference: Image.Image, threshold: int) -> Image.Image:
    """A one-band image, 255 where a channel of ``actual`` and ``reference`` (same size)
    differ by more than ``threshold``."""
    bands = ImageChops.difference(actual.convert("RGB"), reference.convert("RGB")).split()
    largest = bands[0]
    for band in bands[1:]:
        largest = ImageChops.lighter(largest, band)
    return largest.point(lambda v: 255 if v > threshold else 0)


def diff_image(reference: Image.Image, differing: Image.Image) -> Image.Image:
    """The reference faded to grey, the differing pixels in red."""
    faded = Image.blend(reference.convert("L").convert("RGB"), Image.new("RGB", reference.size, "white"), 0.6)
    faded.paste(Image.new("RGB", reference.size, (230, 0, 0)), mask=differing)
    return faded


def compare_images(
    actual: Image.Image,
    reference: Image.Image,
    *,
    threshold: int = CHANNEL_THRESHOLD,
    max_fraction: float = MAX_DIFF_FRACTION,
) -> tuple[str | None, Image.Image | None]:
    """Why ``actual`` does not match ``reference`` (None: it matches), and the diff image
    when there is one to show."""
    if actual.size != reference.size:
        (width, height), (ref_width, ref_height) = actual.size, reference.size
        return f"size {width}×{height}, reference {ref_width}×{ref_height}", None
    differing = differing_pixels(actual, reference, threshold)
    count = differing.histogram()[255]
    total = actual.size[0] * actual.size[1]
    if count <= max_fraction * total:
        return None, None
    return (
        f"{count} of {total} pixels differ ({count / total:.3%}, tolerance {max_fraction:.3%} "
        f"at a channel difference over {threshold})"
    ), diff_image(reference, differing)


def compare_screen(
    target: Page | Locator,
    name: str,
    *,
    mask: Sequence[Locator] = (),
    clip: FloatRect | None = None,
    full_page: bool = False,
    threshold: int = CHANNEL_THRESHOLD,
    max_fraction: float = MAX_DIFF_FRACTION,
) -> None:
    """Screenshot ``target`` (a page, ``clip`` a region of it, or one element) with ``mask``
    painted over, and fail unless it matches ``references/<name>.png``."""
    # Page.screenshot only: an element's screenshot is already clipped to it.
    region = {"clip": clip, "full_page": full_page} if clip is not None or full_page else {}
    png = target.screenshot(
        animations="disabled", caret="hide", mask=list(mask), mask_color=MASK_COLOR, **region
    )
    SCREENS.mkdir(parents=True, exist_ok=True)
    shown = SCREENS / f"{name}.png"
    shown.write_bytes(png)
    actual = Image.open(io.BytesIO(png)).convert("RGB")
    reference_path = REFERENCES / f"{name}.png"
    if not reference_path.exists():
        if UPDATE:
            _write_reference(actual, reference_path)
            BUILD_FILE.write_text(_browser_build(target) + "\n")
            return
        pytest.fail(
            f"no reference for the screen {name!r} ({reference_path}); the screenshot is {shown}. "
            "Review it, then PHONGHOP_UPDATE_SCREENS=1 scripts/test tests/browser/test_screens.py writes it."
        )
    with Image.open(reference_path) as stored:
        reference = stored.convert("RGB")
    build = _browser_build(target)
    drawn_by = BUILD_FILE.read_text().strip() if BUILD_FILE.exists() else ""
    if build != drawn_by and not UPDATE:
        threshold = max(threshold, OTHER_BUILD_THRESHOLD)
        max_fraction = max(max_fraction, OTHER_BUILD_FRACTION)
    why, diff = compare_images(actual, reference, threshold=threshold, max_fraction=max_fraction)
    if why is None:
        return
    if UPDATE:
        _write_reference(actual, reference_path)
        BUILD_FILE.write_text(build + "\n")
        return
    if build != drawn_by:
        why += f" (references drawn by {drawn_by or 'an unknown build'}, this is {build})"
    actual_path = SCREENS / f"{name}.actual.png"
    actual.save(actual_path)
    where = f"drawn: {actual_path}"
    if diff is not None:
        diff_path = SCREENS / f"{name}.diff.png"
        diff.save(diff_path)
        where += f", differences in red: {diff_path}"
    pytest.fail(
        f"the screen {name!r} differs from its reference {reference_path}: {why}; {where}. "
        "If the change is wanted, review it and update the reference: "
        "PHONGHOP_UPDATE_SCREENS=1 scripts/test tests/browser/test_screens.py"
    )


def hold_width(locator: Locator, width: str) -> None:
    """Give a varying inline text (a date, masked) a fixed width, so that what follows it on
    its line stays put whatever its length. Set through the CSSOM: the pages' CSP refuses
    the stylesheet that ``screenshot(style=...)`` would inject."""
    locator.evaluate(
        """(e, width) => Object.assign(e.style, {
            display: "inline-block", width, whiteSpace: "nowrap", overflow: "hidden", verticalAlign: "top",
        })""",
        width,
    )


def _browser_build(target: Page | Locator) -> str:
    page = getattr(target, "page", target)  # a Locator's page
    browser = page.context.browser
    return f"chromium {browser.version}" if browser is not None else "unknown"


def _write_reference(image: Image.Image, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
