"""The nearest examples in words: what a class should read under the strip of training digits nearest a drawing.
Pure Python: told the neighbours, the typical distance and the verdict; it reads nothing.

For a sure digit, one line: what the nearest are and how near. For "not sure" and "not a digit", the reason the
examples give: the drawing is far from every training digit (farther than 95 in 100 training digits are from
their own nearest), or its nearest training digits are of more than one digit, or, when neither, that the
examples do not explain it.

A "not a digit" is seldom far: the built-in model, trained to be unsure of non-digits, puts them among the odd
training digits it is unsure of too. Of 86 scribbles it called not a digit, none was farther than 95 in 100
training digits are from theirs (median 11.7 against 21.5 for MNIST test digits), and their 8 nearest training
digits got a median 23% from the net, where 99% of training digits get over 90%. So for those the line says how
sure the net is of the neighbours.
"""

from __future__ import annotations

from collections import Counter

from trainer.neighbours import Neighbour, Typical
from trainer.verdicts import NOT_A_DIGIT, SURE

NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def count_words(count: int, digit: int) -> str:
    """'one 7', 'three 4s', in words up to nine."""
    number = NAMES[count] if count < len(NAMES) else str(count)
    return f"{number} {digit}{'s' if count != 1 else ''}"


def mix(neighbours: list[Neighbour]) -> str:
    """'all 7s', 'five 4s and three 9s', 'four 4s, three 9s and one 7': the most frequent first."""
    counts = Counter(n.label for n in neighbours).most_common()
    if len(counts) == 1:
        return f"all {counts[0][0]}s" if len(neighbours) > 1 else f"a {counts[0][0]}"
    parts = [count_words(count, digit) for digit, count in counts]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def distance_text(distance: float) -> str:
    return f"{distance:.1f}"


def typical_text(typical: Typical) -> str:
    return (f"training digits are typically {distance_text(typical.median)} from their own nearest "
            f"(95 in 100 within {distance_text(typical.high)})")


def is_far(neighbours: list[Neighbour], typical: Typical) -> bool:
    """Farther from every training digit than 95 in 100 training digits are from their own nearest."""
    return bool(neighbours) and neighbours[0].distance > typical.high


def summary(neighbours: list[Neighbour], typical: Typical, verdict: str, digit: int,
            confidences: list[float] | None = None) -> str:
    """The line under the strip, for a digit read as `digit` with `verdict`; `confidences`: how sure the net is
    of each neighbour (its highest probability), when known."""
    if not neighbours:
        return ""
    nearest = neighbours[0]
    times = nearest.distance / typical.median if typical.median > 0 else float("inf")
    how_far = (f"the nearest (a {nearest.label}) is {distance_text(nearest.distance)} away, {times:.1f}× the "
               f"typical; {typical_text(typical)}")
    labels = {n.label for n in neighbours}
    if verdict == SURE:
        return f"Its {len(neighbours)} nearest are {mix(neighbours)}; {how_far}."
    if verdict == NOT_A_DIGIT:
        if is_far(neighbours, typical):
            return f"Not a digit: nothing like it among the training digits. {_capital(how_far)}."
        if confidences:
            mean = sum(confidences) / len(confidences)
            return (f"Not a digit. The net places it among training digits it is unsure of too: its "
                    f"{len(neighbours)} nearest ({mix(neighbours)}) get {mean:.0%} from it on average. "
                    f"{_capital(how_far)}.")
        return (f"Not a digit, though not far from training digits: {how_far}. Its {len(neighbours)} nearest are "
                f"{mix(neighbours)}.")
    reasons = []
    if is_far(neighbours, typical):
        reasons.append("it is far from every training digit")
    if len(labels) > 1:
        reasons.append(f"its {len(neighbours)} nearest are {mix(neighbours)}: the net has seen each drawn like "
                       f"this")
    if not reasons:
        return (f"Not sure, though its {len(neighbours)} nearest are {mix(neighbours)} and near: {how_far}. "
                f"The doubt is in how the net weighs these features, not in the examples.")
    return f"Not sure: {'; and '.join(reasons)}. {_capital(how_far)}."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
