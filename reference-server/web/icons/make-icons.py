#!/usr/bin/env python3
"""Draws the web app's PNG icons (our own artwork: the AuraVest mark, a
rising line on the brand blue, as in favicon.svg) with the standard
library only, and writes them next to this script:

    icon-192.png, icon-512.png    the mark on a rounded square
    icon-maskable-512.png         full-bleed, the mark inside the central
                                  safe zone, for launchers that crop

Run it again after changing the mark:  python3 make-icons.py
"""

import math
import struct
import zlib
from pathlib import Path

BRAND = (0x1B, 0x5E, 0x84)
LINE = (0xFF, 0xFF, 0xFF)
# The mark's line on a 32-unit grid, as in favicon.svg.
POINTS = [(6, 23), (13, 14), (18, 19), (26, 8)]
STROKE = 3.0


def segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)
    t = max(0.0, min(1.0, t))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def rounded_rect_distance(px, py, size, radius):
    """Signed distance to a rounded square [0, size]^2 (negative inside)."""
    half = size / 2
    qx = abs(px - half) - (half - radius)
    qy = abs(py - half) - (half - radius)
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def draw(size, maskable):
    """RGBA rows of one icon."""
    # Grid units per pixel: the mark fills the icon, or 60% of it (inside
    # the 80% safe circle) when the launcher may crop.
    scale = 32 / size if not maskable else 32 / (size * 0.6)
    offset = 0.0 if not maskable else size * 0.2
    radius = size * 7 / 32
    segments = list(zip(POINTS, POINTS[1:]))
    rows = []
    for y in range(size):
        row = bytearray()
        for x in range(size):
            cx, cy = x + 0.5, y + 0.5
            if maskable:
                bg = 1.0
            else:
                bg = max(0.0, min(1.0, 0.5 - rounded_rect_distance(cx, cy, size, radius)))
            gx, gy = (cx - offset) * scale, (cy - offset) * scale
            d = min(segment_distance(gx, gy, *a, *b) for a, b in segments)
            # Coverage of the stroke, antialiased over one pixel.
            line = max(0.0, min(1.0, (STROKE / 2 - d) / scale + 0.5))
            rgb = [round(c0 * (1 - line) + c1 * line) for c0, c1 in zip(BRAND, LINE)]
            alpha = round(255 * max(bg, line if not maskable else 1.0))
            if alpha == 0:
                rgb = [0, 0, 0]
            row += bytes(rgb + [alpha])
        rows.append(bytes(row))
    return rows


def png(size, rows):
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + r for r in rows)
    ihdr = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def main():
    here = Path(__file__).resolve().parent
    for name, size, maskable in [
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
    ]:
        (here / name).write_bytes(png(size, draw(size, maskable)))
        print(f"wrote {name}")


if __name__ == "__main__":
    main()
