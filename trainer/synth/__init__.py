"""Synthetic handwriting: digits and non-digits drawn as pen strokes, for teaching the net what is not a digit,
calibrating its "not sure", and measuring the pad. Strokes are lists of (x, y) points in a unit square."""
