"""Numbers of 2 to 8 digits written neatly on the pad: are they read whole?

Each number is drawn as the pad gets it, strokes in the canvas's unit square (trainer.synth.written_numbers):
digits side by side with a normal gap, in the synthetic hand (each digit a random style of its own) or in one of
the Hershey vector fonts (the font's own spacing), with a pen a share of the digits' height (fine 8%, medium 14%;
never under the pad's thinnest, 0.02) or the pad's default pen whatever their size. They are read by
Predictor.read_strokes, the live pad's path. Per length (all, the hand's, the fonts'), per source and per pen,
the share of numbers

    whole    read right, every digit sure: what the pad shows is the number written;
    flagged  every digit right, but one or more "not sure" ("4?2");
    split    the wrong count of digits (two merged, one cut in two);
    rejected the right count, but a digit judged not a digit (the number shown without it);
    misread  the right count, a digit wrong.

Then the 1 with a flag and a foot (trainer.synth.digits.FOOTED_ONES: short and long flag), alone and inside
numbers: how often it is read 1 and sure, 1 but flagged, or 7.

    python bench/whole_numbers.py [--n 60] [--model CKPT] [--seed 20261203] [--show-failures 20] [--json]

(Not bench/numbers.py: a script's folder comes first on Python's path, and a numbers.py there hides the standard
library's `numbers`, which numpy and torch import, for every script in bench/.)
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from collections import Counter, defaultdict

import numpy as np

from digitpad import builtin_checkpoint_path
from digitpad.reading.predictor import Predictor
from trainer.devices import cpu_capability
from trainer.synth.digits import FOOTED_ONES, random_digit
from trainer.synth.written_numbers import HERSHEY_FONTS, handwritten_number, hershey_number

SEED = 20261203
LENGTHS = range(2, 9)
# The pen: a share of the digits' height (never under the pad's thinnest, 0.02), or the pad's default width
# whatever the digits' size (a small number written with it is bold: its ink can touch where its strokes don't).
PENS = {"fine": 0.08, "medium": 0.14, "default": None}
THINNEST_PEN = 0.02  # the pad's pen slider starts here (digitpad.draw.tab)
DEFAULT_PEN = 0.045  # digitpad.draw.canvas.DEFAULT_PEN_WIDTH
OUTCOMES = ("whole", "flagged", "split", "rejected", "misread")


def outcome(reading, text: str) -> str:
    if reading is None or len(reading.digits) != len(text):
        return "split"
    if reading.rejected:
        return "rejected"
    if "".join(str(d.digit) for d in reading.digits) != text:
        return "misread"
    return "whole" if reading.sure else "flagged"


def sample(n: int, seed: int, hershey: bool) -> list[dict]:
    """`n` numbers of each length: text, source, pen name and strokes, from a fixed seed. Every other number
    is in a Hershey font (when the package is there), the fonts in turn."""
    rng = np.random.default_rng(seed)
    numbers = []
    for length in LENGTHS:
        for i in range(n):
            text = "".join(str(int(d)) for d in rng.integers(10, size=length))
            pen = list(PENS)[i % len(PENS)]
            if hershey and i % 2:
                font = HERSHEY_FONTS[(i // 2) % len(HERSHEY_FONTS)]
                strokes = hershey_number(text, font, rng)
            else:
                font, strokes = "handwriting", handwritten_number(text, rng)
            numbers.append({"text": text, "source": font, "pen": pen, "strokes": strokes})
    return numbers


def digit_height(strokes) -> float:
    ys = [y for stroke in strokes for _, y in stroke]
    return max(ys) - min(ys)


def pen_for(strokes, pen: str) -> float:
    return DEFAULT_PEN if PENS[pen] is None else max(THINNEST_PEN, PENS[pen] * digit_height(strokes))


def read_numbers(predictor: Predictor, numbers: list[dict]) -> list[dict]:
    for number in numbers:
        reading = predictor.read_strokes(number["strokes"], pen_for(number["strokes"], number["pen"]))
        number["outcome"] = outcome(reading, number["text"])
        number["read"] = reading.text if reading else "(no ink)"
    return numbers


def shares(numbers: list[dict], key: str) -> dict:
    """{value of `key` (and "all"): {"n": count, outcome: percent, ...}}."""
    counts: dict = defaultdict(Counter)
    for number in numbers:
        counts[number[key]][number["outcome"]] += 1
        counts["all"][number["outcome"]] += 1
    ordered = sorted(counts.items(), key=lambda item: (item[0] == "all", str(item[0]).zfill(3)))
    return {str(name): {"n": sum(count.values()), **{o: 100 * count[o] / sum(count.values()) for o in OUTCOMES}}
            for name, count in ordered}


def table(rows: dict, title: str, columns=OUTCOMES) -> str:
    lines = [f"{title:<28} {'n':>4} " + " ".join(f"{name:>8}" for name in columns)]
    for name, row in rows.items():
        lines.append(f"{name:<28} {row['n']:>4} " + " ".join(f"{row[c]:>7.1f}%" for c in columns))
    return "\n".join(lines)


ONE_READS = ("1", "1?", "7", "other")


def footed_ones(predictor: Predictor, n: int, seed: int) -> dict:
    """The 1 with a flag and a foot, each style alone (n, sizes and pens at random) and as every digit 1 inside
    n numbers of 3-6 digits holding at least one: {"style S, alone" or "..., inside numbers": shares read}."""
    rng = np.random.default_rng([seed, 1])
    rows = {}
    for style in FOOTED_ONES:
        alone, inside = Counter(), Counter()
        for i in range(n):
            pen = list(PENS)[i % len(PENS)]
            strokes = random_digit(1, rng, style=style)
            reading = predictor.read_strokes(strokes, pen_for(strokes, pen))
            alone[_one_read(reading.digits[0] if reading and len(reading.digits) == 1 else None)] += 1
            digits = rng.integers(10, size=int(rng.integers(3, 7)))
            digits[int(rng.integers(len(digits)))] = 1
            text = "".join(map(str, digits))
            strokes = handwritten_number(text, rng, styles={1: style})
            reading = predictor.read_strokes(strokes, pen_for(strokes, pen))
            found = reading is not None and len(reading.digits) == len(text)
            for position in (p for p, c in enumerate(text) if c == "1"):
                inside[_one_read(reading.digits[position] if found else None)] += 1
        for where, count in (("alone", alone), ("inside numbers", inside)):
            total = sum(count.values())
            rows[f"style {style}, {where}"] = {"n": total, **{o: 100 * count[o] / total for o in ONE_READS}}
    return rows


def _one_read(digit) -> str:
    if digit is None or digit.verdict == "not a digit":
        return "other"
    if digit.digit == 1:
        return "1" if digit.sure else "1?"
    return "7" if digit.digit == 7 else "other"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=60, help="numbers of each length (and footed 1s of each style)")
    parser.add_argument("--model", help="checkpoint (default: the built-in model)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--show-failures", type=int, default=0, metavar="K", help="list the first K not read whole")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON, nothing else")
    args = parser.parse_args()
    if args.n < 1:
        parser.error(f"--n must be at least 1, not {args.n}")
    hershey = importlib.util.find_spec("HersheyFonts") is not None
    predictor = Predictor.load(args.model or builtin_checkpoint_path())
    started = time.perf_counter()
    numbers = read_numbers(predictor, sample(args.n, args.seed, hershey))
    for number in numbers:
        number["length"] = len(number["text"])
    hand = [number for number in numbers if number["source"] == "handwriting"]
    typeset = [number for number in numbers if number["source"] != "handwriting"]
    figures = {"n": args.n, "seed": args.seed, "hershey": hershey,
               **{key: shares(numbers, key) for key in ("length", "source", "pen")},
               "length, handwriting": shares(hand, "length"),
               **({"length, Hershey fonts": shares(typeset, "length")} if typeset else {}),
               "footed_ones": footed_ones(predictor, args.n, args.seed)}
    if args.json:
        print(json.dumps(figures, indent=1))
        return 0
    import torch

    print(f"model: {args.model or 'built-in'}; {cpu_capability()} ({torch.backends.cpu.get_cpu_capability()}); "
          f"seed {args.seed}, {args.n} numbers a length")
    if not hershey:
        print("Hershey fonts left out: needs the hershey-fonts package (the test extra)")
    for key, title in (("length", "digits"), ("length, handwriting", "digits, handwriting"),
                       ("length, Hershey fonts", "digits, Hershey fonts"), ("source", "source"), ("pen", "pen")):
        if key in figures:
            print()
            print(table(figures[key], title))
    print()
    print(table(figures["footed_ones"], "1 with flag and foot", ONE_READS))
    failures = [n for n in numbers if n["outcome"] != "whole"][:args.show_failures]
    for number in failures:
        print(f"  {number['text']:>9} read {number['read']:<12} {number['outcome']:<8} {number['source']}, "
              f"{number['pen']} pen")
    print(f"({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
