"""Images (PNG, JPEG, WebP, TIFF, BMP screenshots of a table or list): text by OCR.

OCR is Tesseract (Debian's ``tesseract-ocr``), run as a process per image with a timeout
(``limits.OCR_SECONDS_PER_IMAGE``). The decoded image goes to it on stdin, so no copy of a
screenshot (which may show the leak) is written to disk. Tesseract runs on
one thread (``OMP_THREAD_LIMIT=1``): its OpenMP threads buy little wall time on a table and cost
up to 6x the CPU spinning (a 2,194 x 4,283 screenshot: 38.5 s of CPU with its default threads,
6.3 s with one, the same text, on this 2-core machine at load 10), and scanning already runs one
process per core. Page segmentation mode 6 (one uniform block) with inter-word spaces kept
reads a table screenshot row by row; a gap of 2+ spaces becomes a TAB (a column gutter).
Digit-context repairs (``O``->0, ``l``/``I``->1, ``S``->5 inside runs of digits) are made
here; name-level OCR tolerance is the matcher's.

The pixel count is read from the header and checked before anything is decoded, so a pixel
bomb (a few kB of PNG declaring 10^10 pixels) is refused without allocating it. Without
Tesseract, images are skipped with the reason ``OCR_MISSING``.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from .limits import OCR_MIN_IMAGE_SIDE, OCR_MISSING, MemberLimit, describe
from .sniff import image_kind

if TYPE_CHECKING:
    from .extractor import Reading


_TESSERACT_OPTIONS = ("--psm", "6", "-c", "preserve_interword_spaces=1")
# Tesseract is started through env(1) with its OpenMP threads held to one (see above): the rest
# of its environment is this process's, which the library does not read.
ON_ONE_THREAD = ("env", "OMP_THREAD_LIMIT=1")
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
    if image is None or not can_hold_text(image):
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


def can_hold_text(image: Any) -> bool:
    """Whether the decoded image may show text: not of one colour (a blank page, an empty
    canvas) nor smaller than a line of text (``limits.OCR_MIN_IMAGE_SIDE``). Others are not worth
    a Tesseract process, which reads nothing in them (~0.1 s of CPU each: a mail or a page with
    a dozen spacers and tracking pixels)."""
    if min(image.size) < OCR_MIN_IMAGE_SIDE:
        return False
    extrema = image.getextrema()  # (low, high), or one pair per band
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return any(low != high for low, high in bands)


def ocr_image(reading: Reading, image: Any, name: str) -> str:
    """The image's text, one line per text line, column gutters as TABs; "" on a timeout.

    An image whose pixels this document showed before (``Reading.ocr_texts``) gets the text
    Tesseract read then: its input would be the same bytes. Only for this document: no OCR
    text outlives its extraction."""
    if image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    pixels = tesseract_input(image)
    digest = hashlib.sha256(pixels).digest()
    if digest in reading.ocr_texts:
        return reading.ocr_texts[digest]
    seconds = reading.limits.ocr_seconds_per_image
    try:
        text = run_tesseract(pixels, seconds)
    except subprocess.TimeoutExpired:
        reading.skip(name, f"OCR stopped after {seconds:g} s (Tesseract process timeout)")
        return ""
    except OcrFailed as error:
        reading.skip(name, f"OCR failed ({str(error).strip()[:200]})")
        return ""
    reading.ocr_texts[digest] = ocr_text_to_lines(text)
    return reading.ocr_texts[digest]


class OcrFailed(Exception):
    """Tesseract exited with an error (its message)."""


def tesseract_input(image: Any) -> bytes:
    """A decoded ``L`` or ``RGB`` Pillow image as Tesseract reads it on stdin: PNM (PGM/PPM:
    lossless, nothing to compress), encoded here from the decoded image and never the bytes as
    fetched, since Tesseract reads stdin that is no image as a list of file names to open."""
    pixels = io.BytesIO()
    image.save(pixels, format="PPM")
    return pixels.getvalue()


def run_tesseract(pixels: bytes, seconds: float) -> str:
    """The text Tesseract reads in ``pixels`` (``tesseract_input``), killed after ``seconds``
    (``subprocess.TimeoutExpired``)."""
    done = subprocess.run(
        [*ON_ONE_THREAD, "tesseract", "stdin", "stdout", *_TESSERACT_OPTIONS],
        input=pixels,
        capture_output=True,
        timeout=seconds,
    )
    if done.returncode != 0:
        raise OcrFailed(done.stderr.decode("utf-8", "replace") or f"exit status {done.returncode}")
    return done.stdout.decode("utf-8", "replace")


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
