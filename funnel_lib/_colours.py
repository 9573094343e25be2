"""WCAG 2.x colour contrast: relative luminance and contrast ratio of two sRGB hex colours.

One home for the arithmetic the accessibility tests and the widgets rely on. WCAG AA asks for a
ratio of at least 4.5:1 for normal text and 3:1 for large text (:data:`AA_NORMAL_TEXT`).

>>> round(contrast_ratio("#000000", "#FFFFFF"), 1)
21.0
"""

from __future__ import annotations

import re

__all__ = ["relative_luminance", "contrast_ratio", "AA_NORMAL_TEXT"]

#: The smallest contrast ratio WCAG 2.x level AA allows for normal-size text.
AA_NORMAL_TEXT = 4.5

_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def relative_luminance(colour: str) -> float:
    """The WCAG relative luminance (0 = black, 1 = white) of a hex colour like ``"#0072B2"``.

    >>> relative_luminance("#FFFFFF"), relative_luminance("#000")
    (1.0, 0.0)
    """
    match = _HEX.fullmatch(colour.strip()) if isinstance(colour, str) else None
    if match is None:
        raise ValueError(f"colour must be a hex colour such as '#0072B2' or '#fff', got {colour!r}")
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two hex colours, from 1 (none) to 21 (black on white); order does not matter.

    >>> round(contrast_ratio("#595959", "#FFFFFF"), 2)
    7.0
    """
    high, low = sorted((relative_luminance(foreground), relative_luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)
