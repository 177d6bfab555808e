"""QR codes for the hosted page: they decode (zxing-cpp) to the page URL, parameters included."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest
import zxingcpp

from tools.qr import main, page_url, write_codes


def png_pixels(path: Path) -> tuple[int, int, bytes]:
    """Greyscale bytes of a non-interlaced greyscale or palette PNG (what segno writes)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks, palette = 8, b"", b""
    width = height = depth = colour = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind, body = data[position + 4 : position + 8], data[position + 8 : position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert interlace == 0 and colour in (0, 3) and depth in (1, 2, 4, 8)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            chunks += body
    raw = zlib.decompress(chunks)
    stride = (width * depth + 7) // 8
    pixels, previous = bytearray(), bytes(stride)
    for row in range(height):
        kind, line = (
            raw[row * (stride + 1)],
            bytearray(raw[row * (stride + 1) + 1 : (row + 1) * (stride + 1)]),
        )
        unfilter(kind, line, previous)
        previous = bytes(line)
        line = b"\0" + line  # keeps the sample arithmetic below indexed from 1
        for x in range(width):
            bit = x * depth
            sample = (line[1 + bit // 8] >> (8 - depth - bit % 8)) & ((1 << depth) - 1)
            # a palette entry's red channel (segno's palettes are grey), or the scaled grey level
            sample = palette[3 * sample] if colour == 3 else sample * 255 // ((1 << depth) - 1)
            pixels.append(sample)
    return width, height, bytes(pixels)


def unfilter(kind: int, line: bytearray, previous: bytes) -> None:
    """Undo a PNG row filter in place (one byte per pixel step: greyscale or palette)."""
    for i, value in enumerate(line):
        left = line[i - 1] if i else 0
        up, corner = previous[i], previous[i - 1] if i else 0
        if kind == 1:
            line[i] = (value + left) & 0xFF
        elif kind == 2:
            line[i] = (value + up) & 0xFF
        elif kind == 3:
            line[i] = (value + (left + up) // 2) & 0xFF
        elif kind == 4:
            estimate = left + up - corner
            pa, pb, pc = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
            line[i] = (value + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        else:
            assert kind == 0, f"unknown PNG filter {kind}"


def decode(path: Path) -> list[str]:
    width, height, pixels = png_pixels(path)
    image = memoryview(pixels).cast("B", (height, width))
    return [result.text for result in zxingcpp.read_barcodes(image)]


def test_qr_png_decodes_to_the_page_url(tmp_path: Path) -> None:
    # GIVEN the page URL of a source, with a store and an agent
    url = page_url("https://feedback.example.com/", "demo-web", {"store": "oslo 1", "agent": "mark"})
    assert url == "https://feedback.example.com/s/demo-web?store=oslo+1&agent=mark"
    # WHEN its QR code is written
    png, svg = write_codes(url, tmp_path, "demo")
    # THEN the PNG decodes to exactly that URL, and the SVG is an SVG of it
    assert decode(png) == [url]
    assert svg.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
    assert "<title>" in svg.read_text(encoding="utf-8")


def test_cli_prints_the_url_and_writes_both_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN the command runs for a source with an order number
    code = main(["demo-web", "--url", "http://127.0.0.1:3000", "--order", "A-1001", "--out", str(tmp_path)])
    # THEN it prints the URL, and the PNG it wrote decodes to it
    printed = capsys.readouterr().out.strip()
    assert code == 0 and printed == "http://127.0.0.1:3000/s/demo-web?order=A-1001"
    assert decode(tmp_path / "demo-web-A_1001.png") == [printed]
    assert (tmp_path / "demo-web-A_1001.svg").exists()


def test_a_parameter_the_page_would_drop_is_refused() -> None:
    with pytest.raises(ValueError, match="--store"):
        page_url("http://x", "demo-web", {"store": "<b>"})
    with pytest.raises(ValueError, match="source id"):
        page_url("http://x", "Demo_Web", {})
