"""The comparison behind the reference screenshots (tests/browser/screenshots.py), on
images drawn here: anti-aliasing noise passes, a moved or recoloured element fails, a
changed size is named, and the diff image marks what differs. No browser needed."""

from __future__ import annotations

from PIL import Image, ImageDraw

from tests.browser.screenshots import CHANNEL_THRESHOLD, compare_images


def screen(*, button_x: int = 40, colour: tuple[int, int, int] = (165, 14, 14)) -> Image.Image:
    """A 390×844 'phone screen': a header bar, a button, a line of 'text'."""
    image = Image.new("RGB", (390, 844), (244, 244, 244))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 389, 60), fill=colour)
    draw.rounded_rectangle(
        (button_x, 100, button_x + 160, 144), radius=6, fill=(255, 255, 255), outline=(90, 90, 90)
    )
    draw.line((20, 200, 360, 200), fill=(30, 30, 30), width=2)
    return image


def test_the_same_screen_matches() -> None:
    assert compare_images(screen(), screen()) == (None, None)


def test_anti_aliasing_noise_is_tolerated() -> None:
    noisy = screen()
    pixels = noisy.load()
    assert pixels is not None
    # Edge pixels a shade off (under the channel threshold), and a few stray ones over it.
    for x in range(20, 360):
        r, g, b = pixels[x, 201]
        pixels[x, 201] = (r + CHANNEL_THRESHOLD - 1, g, b)
    for x in range(0, 40, 8):
        pixels[x, 400] = (0, 0, 0)
    assert compare_images(noisy, screen()) == (None, None)


def test_a_moved_button_fails_and_the_diff_marks_it() -> None:
    why, diff = compare_images(screen(button_x=48), screen())
    assert why is not None and "pixels differ" in why
    assert diff is not None and diff.size == (390, 844)
    assert diff.getpixel((40, 120)) == (230, 0, 0)  # the button's old outline: in red
    assert diff.getpixel((300, 600)) != (230, 0, 0)  # the unchanged background: not


def test_a_new_colour_fails() -> None:
    why, _ = compare_images(screen(colour=(120, 14, 14)), screen())
    assert why is not None and "pixels differ" in why


def test_a_changed_size_is_named() -> None:
    taller = Image.new("RGB", (390, 900), (244, 244, 244))
    taller.paste(screen())
    why, diff = compare_images(taller, screen())
    assert why == "size 390×900, reference 390×844" and diff is None
