"""Split the ink of a written number into its digits, left to right. Pure numpy and scipy.ndimage.

1. Connected components of the ink (8-connected): each stroke, or strokes that cross, is one component.
2. Components that overlap horizontally are one digit: a 5's cap, a 7's bar or a 4's second stroke, drawn
   apart from the rest, stay with their digit, as in a number written left to right digits never stack.
3. A scanner's specks (narrower than half the strokes are wide) are dropped before anything is grouped, then
   groups much smaller than the digits around them (a slip of the pen, paper dust); alone, a speck is kept and
   read, so that a stray dot on an empty page is answered, not ignored.
4. Fragments, bigger than specks but short and thin beside the digits (a 5's cap written off to the right, the
   faint edge of a stroke broken off by a scan), join the digit they nearly touch.
5. A group much wider than it is high may be digits that touch: `cut_candidates` proposes vertical cuts at the
   thinnest columns, and the reader keeps a cut only when the net reads both sides with more confidence than
   the whole (see reader.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .strokes import stroke_width

# Two components are one digit when their columns overlap by this share of the narrower one.
SAME_DIGIT_OVERLAP = 0.4
# A group whose height and width are both under this share of the tallest group's height is a speck.
SPECK = 0.15
# A group less tall than FRAGMENT of the tallest group, and thinner (or flatter) than THIN of it, is a fragment: a
# sliver or a cap, where a digit of the number would be about as tall as the others and a stroke wide at least. It
# joins the nearest digit when its box is within FRAGMENT_GAP of the tallest group's height of that digit's
# sideways, and FRAGMENT_RISE up or down.
# Chosen on the 5,000 held-out MNIST training digits read as pictures (37 came out as two digits, now 28), on
# numbers whose digits differ in size up to 2:1 (read as well as before), and so that a 1 written over half as
# tall as the digit beside it stays a digit.
FRAGMENT = 0.5
THIN = 0.2
FRAGMENT_GAP = 0.15
FRAGMENT_RISE = 0.5
# Wider than this (width / height) a group may be touching digits. A single digit can be about as wide (a wide 0
# or 2): the net decides, by reading both ways.
TOUCHING_ASPECT = 1.1
# Cuts are looked for between these shares of the group's width, so both sides can hold a digit.
CUT_MARGIN = 0.2


@dataclass
class Segment:
    """One digit's ink: its box in the picture's pixels and its ink alone (other digits' ink blanked out)."""
    left: int
    top: int
    width: int
    height: int
    ink: np.ndarray  # height x width, the ink of this digit only, float in [0, 1]

    @property
    def box(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.width, self.height

    def split(self, column: int) -> tuple[Segment, Segment]:
        """Two segments, left and right of `column` (relative to this segment), each cropped to its ink."""
        return (_crop(self.ink[:, :column], self.left, self.top),
                _crop(self.ink[:, column:], self.left + column, self.top))


def whole_ink(ink: np.ndarray) -> Segment:
    """All of the ink as one segment, cropped to it."""
    return _crop(ink, 0, 0)


def _crop(ink: np.ndarray, left: int, top: int) -> Segment:
    rows = np.flatnonzero(ink.any(axis=1))
    columns = np.flatnonzero(ink.any(axis=0))
    if not len(rows):
        return Segment(left, top, 0, 0, ink[:0, :0])
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, columns[0], columns[-1] + 1
    return Segment(left + int(c0), top + int(r0), int(c1 - c0), int(r1 - r0), ink[r0:r1, c0:c1])


def find_digits(ink: np.ndarray) -> list[Segment]:
    """The digits in an ink layer (bright ink on black, noise already removed), left to right."""
    from scipy import ndimage  # here, not at the top: see strokes.py

    labels, count = ndimage.label(ink > 0, structure=np.ones((3, 3), bool))
    if count == 0:
        return []
    slices = ndimage.find_objects(labels)
    spans = [(s[1].start, s[1].stop, s[0].start, s[0].stop) for s in slices]  # x0, x1, y0, y1
    # A scanner's specks go before digits are grouped, or one above or below a digit would share its columns, join
    # it and stretch its box (salt-and-pepper scans read 15% right so). Only specks narrower than half the strokes
    # are wide: a dot the pen made (a question mark's) is as wide as its pen, and kept.
    specks = _scanner_specks(labels, spans)
    if specks and len(specks) < count:
        labels[np.isin(labels, [i + 1 for i in specks])] = 0
        labels, count = ndimage.label(labels > 0, structure=np.ones((3, 3), bool))
        slices = ndimage.find_objects(labels)
        spans = [(s[1].start, s[1].stop, s[0].start, s[0].stop) for s in slices]

    # Union-find over components whose columns overlap enough.
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(range(count), key=lambda i: spans[i][0])
    for position, i in enumerate(order):
        for j in order[position + 1:]:
            if spans[j][0] >= spans[i][1]:
                break
            overlap = min(spans[i][1], spans[j][1]) - max(spans[i][0], spans[j][0])
            narrower = min(spans[i][1] - spans[i][0], spans[j][1] - spans[j][0])
            if overlap >= SAME_DIGIT_OVERLAP * narrower:
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(count):
        groups.setdefault(root(i), []).append(i)

    segments = []
    for members in groups.values():
        x0 = min(spans[i][0] for i in members)
        x1 = max(spans[i][1] for i in members)
        y0 = min(spans[i][2] for i in members)
        y1 = max(spans[i][3] for i in members)
        own = np.isin(labels[y0:y1, x0:x1], [i + 1 for i in members])
        segments.append(Segment(x0, y0, x1 - x0, y1 - y0, np.where(own, ink[y0:y1, x0:x1], 0).astype(np.float32)))

    tallest = max(segment.height for segment in segments)
    kept = [s for s in segments if max(s.height, s.width) >= SPECK * tallest] or segments
    return sorted(_join_fragments(kept, tallest), key=lambda s: s.left + s.width / 2)


def _scanner_specks(labels: np.ndarray, spans: list[tuple[int, int, int, int]]) -> list[int]:
    """The components (0-based) smaller, both ways, than half the width of the strokes of the largest one and than
    SPECK of the tallest: single pixels of noise, not marks a pen made."""
    sizes = [max(x1 - x0, y1 - y0) for x0, x1, y0, y1 in spans]
    tallest = max(y1 - y0 for _, _, y0, y1 in spans)
    largest = int(np.argmax([(x1 - x0) * (y1 - y0) for x0, x1, y0, y1 in spans]))
    x0, x1, y0, y1 = spans[largest]
    width = stroke_width((labels[y0:y1, x0:x1] == largest + 1).astype(np.float32))
    return [i for i, size in enumerate(sizes) if size < min(width / 2, SPECK * tallest)]


def _join_fragments(segments: list[Segment], tallest: int) -> list[Segment]:
    def is_fragment(segment: Segment) -> bool:
        return segment.height < FRAGMENT * tallest and min(segment.height, segment.width) < THIN * tallest

    def gap(a: Segment, b: Segment) -> float:
        """How far apart two boxes are, in the tallest group's heights: sideways, or up and down (where a cap can
        stand further off) if that is further."""
        sideways = max(a.left - (b.left + b.width), b.left - (a.left + a.width), 0)
        upright = max(a.top - (b.top + b.height), b.top - (a.top + a.height), 0)
        return max(sideways, upright * FRAGMENT_GAP / FRAGMENT_RISE) / tallest

    digits = [s for s in segments if not is_fragment(s)]
    if not digits:
        return segments
    apart = []
    for fragment in (s for s in segments if is_fragment(s)):
        gaps = [gap(fragment, digit) for digit in digits]
        nearest = int(np.argmin(gaps))
        if gaps[nearest] <= FRAGMENT_GAP:
            digits[nearest] = _joined(digits[nearest], fragment)
        else:
            apart.append(fragment)
    return digits + apart


def _joined(a: Segment, b: Segment) -> Segment:
    left, top = min(a.left, b.left), min(a.top, b.top)
    right, bottom = max(a.left + a.width, b.left + b.width), max(a.top + a.height, b.top + b.height)
    ink = np.zeros((bottom - top, right - left), np.float32)
    for part in (a, b):
        y, x = part.top - top, part.left - left
        ink[y:y + part.height, x:x + part.width] = np.maximum(ink[y:y + part.height, x:x + part.width], part.ink)
    return Segment(left, top, right - left, bottom - top, ink)


def looks_like_touching_digits(segment: Segment, typical_height: float) -> bool:
    return segment.width > TOUCHING_ASPECT * max(segment.height, 0.6 * typical_height)


def cut_candidates(segment: Segment, count: int = 3) -> list[int]:
    """Columns (relative to the segment) where touching digits most likely meet, best first: where the ink is
    thinnest, and near where a boundary between digits of the group's height would fall."""
    profile = (segment.ink > 0.5).sum(axis=0).astype(float)
    pieces = max(2, round(segment.width / (0.75 * segment.height)))
    lo, hi = int(segment.width * CUT_MARGIN / pieces * 2), int(segment.width * (1 - CUT_MARGIN / pieces * 2))
    if hi - lo < 2:
        return []
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    columns = np.arange(lo, hi)
    boundaries = segment.width * np.arange(1, pieces) / pieces
    distance = np.min(np.abs(columns[:, None] - boundaries[None, :]), axis=1) / (segment.width / pieces)
    cost = smooth[lo:hi] / max(smooth.max(), 1) + 2 * distance
    candidates: list[int] = []
    spacing = max(2, segment.width // 12)
    for index in np.argsort(cost, kind="stable"):
        column = int(columns[index])
        if all(abs(column - c) >= spacing for c in candidates):
            candidates.append(column)
        if len(candidates) == count:
            break
    return candidates
