"""Images (PNG, JPEG, WebP, TIFF, BMP screenshots of a table or list): text by OCR.

OCR is Tesseract (Debian's ``tesseract-ocr``) through pytesseract, which runs the binary with
a timeout per image (``limits.OCR_SECONDS_PER_IMAGE``). Page segmentation mode 6 (one uniform
block) with inter-word spaces kept reads a table screenshot row by row; a gap of 2+ spaces
becomes a TAB (a column gutter). Digit-context repairs (``O``->0, ``l``/``I``->1, ``S``->5
inside runs of digits) are made here; name-level OCR tolerance is the matcher's.

The pixel count is read from the header and checked before anything is decoded, so a pixel
bomb (a few kB of PNG declaring 10^10 pixels) is refused without allocating it. Without
Tesseract, images are skipped with the reason ``OCR_MISSING``.
"""

from __future__ import annotations

import functools
import io
import re
import shutil
from typing import TYPE_CHECKING, Any

from .limits import OCR_MISSING, MemberLimit, describe
from .sniff import image_kind

if TYPE_CHECKING:
    from .extractor import Reading


_TESSERACT_CONFIG = "--psm 6 -c preserve_interword_spaces=1"
_GUTTER = re.compile(r" {2,}")
# A token made of digits and the letters OCR confuses with them, holding at least two real
# digits and separated like an id or a date (A-123-456-789, 1990-03-07, 12/O3/1990).
_DIGITISH = re.compile(r"(?<![A-Za-z])[0-9OoIlS|][0-9OoIlS|\-./]*[0-9OoIlS|](?![A-Za-z])")
_SPACED_HYPHEN = re.compile(r"(?<=[0-9])(?: +- *|- +)(?=[0-9])")
_DIGIT_REPAIRS = str.maketrans({"O": "0", "o": "0", "I": "1", "l": "1", "|": "1", "S": "5"})


@functools.cache
def ocr_available() -> bool:
    """Whether the tesseract binary is on PATH (checked once per process)."""
    return shutil.which("tesseract") is not None


def extract_image(reading: Reading, data: bytes, name: str, depth: int) -> None:
    """An image's text by OCR (``depth``: the readers' one signature; images hold no parts)."""
    if not ocr_available():
        reading.skip(name, OCR_MISSING)
        return
    image = open_image(reading, data, name)
    if image is None:
        return
    reading.count_ocr_image(name)
    text = ocr_image(reading, image, name)
    if text:
        reading.add(name, "ocr", text + "\n")


def open_image(reading: Reading, data: bytes, name: str) -> Any | None:
    """The decoded image, or None with a reason; its pixel count checked before decoding."""
    from PIL import Image, UnidentifiedImageError

    bomb = MemberLimit(f"image bomb refused: {name} has more than {reading.limits.max_image_pixels:,} pixels")
    try:
        image = Image.open(io.BytesIO(data))  # reads the header only
        width, height = image.size
        if width * height > reading.limits.max_image_pixels:
            raise bomb
        image.load()
    except Image.DecompressionBombError:  # Pillow's own check, at twice its default limit
        raise bomb from None
    except UnidentifiedImageError:
        reading.skip(name, f"unreadable {image_kind(data)} image")
        return None
    except (OSError, ValueError, SyntaxError) as error:
        reading.skip(name, f"unreadable {image_kind(data)} image ({describe(error)})")
        return None
    return image


def ocr_image(reading: Reading, image: Any, name: str) -> str:
    """The image's text, one line per text line, column gutters as TABs; "" on a timeout."""
    import pytesseract

    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    try:
        text = pytesseract.image_to_string(
            image, config=_TESSERACT_CONFIG, timeout=reading.limits.ocr_seconds_per_image
        )
    except RuntimeError as error:  # pytesseract's timeout
        reading.skip(
            name, f"OCR stopped after {reading.limits.ocr_seconds_per_image:g} s ({describe(error)})"
        )
        return ""
    except pytesseract.TesseractError as error:
        reading.skip(name, f"OCR failed ({describe(error).strip()[:200]})")
        return ""
    return ocr_text_to_lines(text)


def ocr_text_to_lines(text: str) -> str:
    lines = (repair_digits(_GUTTER.sub("\t", line.strip())) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def repair_digits(line: str) -> str:
    """Letters OCR reads for digits, repaired inside digit runs only (names are untouched);
    a space OCR put beside a hyphen inside a number (``A-752-273 -933``) taken out first."""
    return _DIGITISH.sub(_repair_token, _SPACED_HYPHEN.sub("-", line))


def _repair_token(match: re.Match) -> str:
    token = match.group(0)
    if sum(ch.isdigit() for ch in token) < 2:
        return token
    return token.translate(_DIGIT_REPAIRS)
