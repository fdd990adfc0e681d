"""preprocess: any picture of one digit -> the net's 28x28 input, made the way MNIST's digits were."""

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from trainer.ink.images import ImageError, load_image
from trainer.ink.preprocess import preprocess
from trainer.synth.pictures import low_resolution

from .photos import UNEVEN_LIGHT, under


def as_image(field: np.ndarray) -> np.ndarray:
    """preprocess's output, checked: 28x28 grey levels in [0, 1]."""
    assert field.shape == (28, 28) and field.dtype == np.float32
    assert 0 <= field.min() and field.max() <= 1
    return field


def ink_box(image: np.ndarray, level: float = 0.05) -> tuple[int, int, int, int]:
    """(top, left, height, width) of the pixels brighter than `level`."""
    rows, columns = np.flatnonzero((image > level).any(axis=1)), np.flatnonzero((image > level).any(axis=0))
    return rows[0], columns[0], rows[-1] - rows[0] + 1, columns[-1] - columns[0] + 1


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    ys, xs = np.mgrid[:image.shape[0], :image.shape[1]]
    return float((image * ys).sum() / image.sum()), float((image * xs).sum() / image.sum())


def canvas_with(shapes, size=(400, 300), ink=255, background=0) -> np.ndarray:
    """A uint8 picture with rectangles (top, left, bottom, right) of ink on a plain background."""
    picture = np.full(size, background, np.uint8)
    for top, left, bottom, right in shapes:
        picture[top:bottom, left:right] = ink
    return picture


L_SHAPE = [(50, 60, 250, 90), (220, 60, 250, 200)]  # an L: heavy on the left and at the bottom


def test_the_ink_is_scaled_to_a_20_pixel_box_and_centred_by_mass_not_by_box():
    image = as_image(preprocess(canvas_with(L_SHAPE)))  # the L is 200 x 140 pixels
    assert ink_box(image)[2:] == (20, 14)
    centre_y, centre_x = centre_of_mass(image)
    assert abs(centre_y - 14) <= 0.5 and abs(centre_x - 14) <= 0.5
    # Centred by mass, the L's box sits up and to the right of the field's middle.
    top, left, height, width = ink_box(image)
    assert top + height / 2 < 13.5 and left + width / 2 > 14.5


def test_where_the_digit_is_in_the_picture_does_not_matter():
    here = preprocess(canvas_with(L_SHAPE))
    moved = preprocess(canvas_with([(t + 100, l - 50, b + 100, r - 50) for t, l, b, r in L_SHAPE], size=(600, 500)))
    np.testing.assert_allclose(here, moved, atol=1e-5)


@pytest.mark.parametrize("height, width, expected", [(200, 50, (20, 5)), (40, 160, (5, 20))])
def test_the_aspect_ratio_is_kept(height, width, expected):
    # An outline, drawn with a pen as wide as MNIST's strokes once the shape is scaled to 20 pixels.
    pen = round(max(height, width) / 9)
    outline = [(30, 30, 30 + height, 30 + pen), (30, 30 + width - pen, 30 + height, 30 + width),
               (30, 30, 30 + pen, 30 + width), (30 + height - pen, 30, 30 + height, 30 + width)]
    image = as_image(preprocess(canvas_with(outline, size=(300, 300))))
    assert ink_box(image, level=0.5)[2:] == expected


def test_dark_ink_on_light_paper_reads_the_same_as_light_on_dark():
    light_on_dark = canvas_with(L_SHAPE)
    dark_on_light = 255 - light_on_dark
    np.testing.assert_allclose(preprocess(dark_on_light), preprocess(light_on_dark), atol=1e-5)
    # A grey photo: pale grey paper, dark grey pencil. The ink still reaches full brightness.
    photo = canvas_with(L_SHAPE, ink=70, background=190)
    np.testing.assert_allclose(preprocess(photo), preprocess(light_on_dark), atol=1e-5)


def test_faint_background_noise_is_ignored():
    clean = canvas_with(L_SHAPE, ink=20, background=235)
    noise = np.random.default_rng(0).normal(0, 6, clean.shape)  # paper grain, about 2.5% of full scale
    noisy = np.clip(clean + noise, 0, 255).astype(np.uint8)
    assert ink_box(as_image(preprocess(noisy))) == ink_box(as_image(preprocess(clean)))
    assert np.abs(preprocess(noisy) - preprocess(clean)).max() < 0.5


@pytest.mark.parametrize("light", UNEVEN_LIGHT.values(), ids=UNEVEN_LIGHT)
@pytest.mark.parametrize("pen", [4, 30], ids=["pen", "marker wider than a block"])
def test_paper_in_the_shade_is_not_taken_for_ink(light, pen):
    from scipy.ndimage import binary_dilation

    from trainer.ink.preprocess import ink_layer

    strokes = canvas_with([(50, 60, 250, 60 + pen), (250 - pen, 60, 250, 200)], ink=30, background=235) < 128
    paper = np.where(strokes, 30, 235).astype(np.uint8)
    ink = ink_layer(under(light, paper) / 255.0)
    assert (ink[strokes] > 0.5).all()  # every stroke kept, at full strength...
    assert not ink[~binary_dilation(strokes, iterations=2)].any()  # ...and no ink where the paper has none


@pytest.mark.parametrize("light", UNEVEN_LIGHT.values(), ids=UNEVEN_LIGHT)
def test_a_small_digit_on_a_big_page_in_the_shade_is_read_without_the_shade(light):
    from trainer.ink.preprocess import ink_layer

    page = np.full((600, 600), 235, np.uint8)
    page[100:120, 150:154] = 30  # a stroke 20 px long: 0.02% of the picture
    ink = ink_layer(under(light, page) / 255.0)
    assert (ink[100:120, 150:154] > 0.5).all() and np.count_nonzero(ink) <= 20 * 4 + 2 * (20 + 4) + 4


def test_uint8_and_float_pictures_read_the_same():
    picture = canvas_with(L_SHAPE)
    np.testing.assert_allclose(preprocess(picture), preprocess(picture / 255.0), atol=1e-5)


def test_the_background_is_mnists_black_and_the_ink_reaches_white():
    field = as_image(preprocess(canvas_with(L_SHAPE)))
    assert field.min() == 0
    assert field.max() == pytest.approx(1, abs=0.05)


@pytest.mark.slow  # a subprocess
def test_preprocessing_needs_no_torch_and_no_qt():
    import subprocess
    import sys

    probe = ("import sys, numpy; import trainer.ink.preprocess, trainer.ink.images; "
             "assert not {'torch', 'PySide6'} & set(sys.modules), sorted(sys.modules)")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-500:]


def test_tiny_pictures_work():
    dot = np.zeros((3, 3), np.uint8)
    dot[1, 1] = 255
    assert ink_box(as_image(preprocess(dot)))[2:] == (20, 20)  # a single pixel of ink fills the digit box
    bar = np.zeros((8, 5), np.uint8)
    bar[1:7, 2] = 255
    image = as_image(preprocess(bar))
    assert ink_box(image, level=0.5)[2] == 20 and ink_box(image)[3] <= 5


@pytest.mark.slow  # huge pictures
def test_huge_pictures_work():
    picture = canvas_with([(500, 1200, 3500, 1500)], size=(4000, 3000))
    image = as_image(preprocess(picture))
    assert ink_box(image, level=0.5)[2:] == (20, 2)


@pytest.mark.parametrize("picture", [
    np.zeros((280, 280), np.uint8),                                   # an empty canvas
    np.full((100, 80), 255, np.uint8),                                # a blank white page
    np.full((50, 50), 0.6, np.float32),                               # flat grey
    np.clip(np.random.default_rng(1).normal(200, 4, (120, 90)), 0, 255).astype(np.uint8),  # grainy paper
    np.zeros((1, 1), np.uint8),
    # A blank page lit from one side, or with a vignette.
    under(UNEVEN_LIGHT["lamp to one side"], np.full((300, 400), 240, np.uint8)),
    under(UNEVEN_LIGHT["vignette"], np.full((300, 400), 240, np.uint8)),
], ids=["empty canvas", "white page", "flat grey", "grainy paper", "one pixel", "blank page lit from one side",
        "blank page with a vignette"])
def test_a_picture_without_ink_gives_nothing(picture):
    assert preprocess(picture) is None


@pytest.mark.parametrize("pixels", [8, 12])
def test_the_soft_edges_of_a_low_resolution_scan_enlarged_are_not_taken_for_shade(pixels):
    # A digit scanned at 8 pixels and enlarged: each of its pixels spans two of the blocks the paper is measured
    # in, so the grey ones at the ink's edge look like shaded paper. The paper is evenly lit: one level for it.
    from trainer.ink.preprocess import as_unit_floats, paper_level
    from trainer.ink.render import render
    from trainer.synth.digits import random_digit

    rng = np.random.default_rng(3)
    uneven = 0
    for digit in range(10):
        grey = 1 - as_unit_floats(low_resolution(render(random_digit(digit, rng), 112, 0.09), pixels))
        uneven += isinstance(paper_level(grey, 0.0), np.ndarray)
    assert uneven == 0


def test_only_2d_grey_pictures_are_accepted():
    with pytest.raises(ValueError, match="2-D"):
        preprocess(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        preprocess(np.zeros((0, 10), np.uint8))


def test_mnist_digits_come_back_as_they_are(mnist):
    """MNIST's digits were made this way, so preprocessing one again changes it very little."""
    _, test = mnist
    correlations, moved = [], 0
    for digit in test.images[:300, 0].numpy():
        again = as_image(preprocess(digit))
        moved += np.abs(np.subtract(ink_box(again, 0.3)[2:], ink_box(digit, 0.3)[2:])).max() > 1
        assert np.abs(np.subtract(centre_of_mass(again), 14)).max() <= 0.75
        correlations.append(np.corrcoef(digit.ravel(), again.ravel())[0, 1])
    # Rounding the centring shift can move a thin digit (a 1) by a pixel, hence percentiles, not each one. Only
    # the thinnest 1% of MNIST's strokes are redrawn (strokes.py); bold ones are left as they are.
    assert np.median(correlations) > 0.98 and np.percentile(correlations, 10) > 0.96 and moved <= 10


def test_a_hairline_is_widened_to_mnists_range_and_a_bold_stroke_is_left_as_drawn():
    from trainer.ink.strokes import THINNEST, WIDENED_TO, WORK_SIZE, normalize_width, stroke_width

    def letter_l(pen: int) -> np.ndarray:
        work = np.zeros((WORK_SIZE, WORK_SIZE // 2), np.float32)
        work[:, :pen] = work[-pen:, :] = 1
        return work

    hairline = letter_l(2)
    assert stroke_width(hairline) < THINNEST
    assert stroke_width(normalize_width(hairline)) == pytest.approx(WIDENED_TO, abs=1)
    widened = normalize_width(hairline)
    margin = (widened.shape[0] - hairline.shape[0]) // 2
    assert (widened[margin:-margin, margin:-margin][hairline > 0] == 1).all()  # widened where it was drawn
    bold = letter_l(24)
    assert normalize_width(bold) is bold


def test_a_hairline_on_a_page_sized_digit_stays_whole_when_shrunk_to_work_size():
    """A pen a pixel wide on a digit 200 pixels tall comes out at work size at about a third of full ink: it must
    still be one stroke, widened, not dashes of the pixels that stayed above half."""
    from trainer.ink.strokes import THINNEST, ink_mask, normalize_width, stroke_width, to_work_size

    page = np.zeros((220, 140), np.float32)
    page[10:210, 20] = page[10:210, 120] = page[10, 20:121] = page[209, 20:121] = 1  # a 1-pixel box, a 0
    work = to_work_size(page)
    assert work.max() < 0.5  # shrunk by averaging: no pixel keeps half of full ink
    assert ndimage.label(ink_mask(work), structure=np.ones((3, 3)))[1] == 1
    assert stroke_width(work) < THINNEST
    widened = normalize_width(work)
    assert ndimage.label(widened >= 0.5, structure=np.ones((3, 3)))[1] == 1
    assert (widened >= 0.5).sum() > 4 * (work > 0.3).sum()


def test_hairline_digits_on_a_page_read_right():
    """Synthetic digits drawn a pixel or two wide across a 280-pixel page (the battery's "hairline" kind, 73% read
    right when a hairline shrunk to work size broke into dashes)."""
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor
    from trainer.ink.render import render
    from trainer.synth.digits import random_digit
    from trainer.synth.pictures import on_paper

    predictor = Predictor.load(builtin_checkpoint_path())
    rng = np.random.default_rng(7)
    right = 0
    for i in range(40):
        page = on_paper(render(random_digit(i % 10, rng), 280, 0.004))
        reading = predictor.read_picture(page)
        right += reading is not None and reading.number == str(i % 10)
    assert right >= 37


def test_scanner_specks_above_and_below_a_digit_do_not_join_it():
    """Salt-and-pepper specks in a digit's columns shared them, joined its group and stretched its box: 15% of
    the battery's speckled scans read right."""
    from trainer.ink.segment import find_digits

    ink = np.zeros((280, 280), np.float32)
    ink[60:220, 130:150] = 1  # a 1
    ink[5, 140] = ink[270, 135] = ink[30, 20] = 1  # specks: above, below, and off to the side
    digits = find_digits(ink)
    assert [d.box for d in digits] == [(130, 60, 20, 160)]
    alone = np.zeros((50, 50), np.float32)
    alone[20, 20] = 1  # a speck alone on the page is still read
    assert len(find_digits(alone)) == 1
    question = np.zeros((280, 280), np.float32)
    question[40:170, 130:142] = 1  # a question mark's stroke, 12 pixels wide, and its dot, as wide as the pen
    question[200:212, 130:142] = 1
    assert [d.box for d in find_digits(question)] == [(130, 40, 12, 172)]  # the dot stays: "?" is not a 1


def test_mnists_held_out_digits_read_as_pictures_read_as_the_net_reads_them(mnist):
    """5,000 MNIST training digits held out of the built-in model's training, read as pictures (`preprocess`):
    at least 99.6% get the digit the net gives MNIST's own 28x28 of them. (When bold strokes were redrawn
    thinner, 30 of them changed.)"""
    from digitpad import builtin_checkpoint_path
    from digitpad.reading.predictor import Predictor
    from trainer.data import split_validation

    train, _ = mnist
    _, held_out = split_validation(train, 5000)
    predictor = Predictor.load(builtin_checkpoint_path())
    digits = held_out.images[:, 0].numpy()
    as_pictures = np.stack([preprocess(digit) for digit in digits])
    same = predictor.probabilities(as_pictures).argmax(1) == predictor.probabilities(digits).argmax(1)
    assert same.mean() >= 0.996, f"{(~same).sum()} of {len(same)} read differently"


def test_load_image_reads_grey_levels_and_flattens_transparency(tmp_path):
    rgb = np.zeros((40, 30, 3), np.uint8)
    rgb[..., 0] = 255  # pure red: luma 0.299
    Image.fromarray(rgb).save(tmp_path / "red.png")
    assert load_image(tmp_path / "red.png") == pytest.approx(np.full((40, 30), 76 / 255), abs=1e-6)

    # Black ink on a transparent sheet (whose hidden colour is black too, as many editors save it).
    rgba = np.zeros((60, 60, 4), np.uint8)
    rgba[10:50, 25:35, 3] = 255
    Image.fromarray(rgba).save(tmp_path / "transparent.png")
    grey = load_image(tmp_path / "transparent.png")
    assert grey[0, 0] == 1.0 and grey[30, 30] == 0.0
    assert preprocess(grey) is not None


def test_load_image_honours_the_camera_orientation(tmp_path):
    picture = Image.fromarray(canvas_with([(10, 10, 20, 60)], size=(100, 80)))  # a wide bar
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees to display"
    picture.save(tmp_path / "rotated.jpg", exif=exif)
    assert load_image(tmp_path / "rotated.jpg").shape == (80, 100)


@pytest.mark.parametrize("content, message", [
    (None, "no such file"), (b"", "not an image"), (b"this is text, not pixels", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "could not be read|not an image"),
], ids=["missing", "empty", "text", "truncated png"])
def test_load_image_explains_unreadable_files(tmp_path, content, message):
    path = tmp_path / "digit.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as error:
        load_image(path)
    assert str(path) in str(error.value)


def test_non_finite_pixels_neither_crash_nor_hide_the_digit():
    grey = np.zeros((60, 60), np.float32)
    grey[10:50, 28:32] = 1.0
    grey[0, 0], grey[0, 1], grey[0, 2] = np.nan, np.inf, -np.inf
    net_input = preprocess(grey)
    assert net_input is not None and np.isfinite(net_input).all()
