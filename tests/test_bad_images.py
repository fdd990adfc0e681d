"""Pictures that are not what they seem: a decompression bomb, a pipe, a folder, a name that fakes output."""

import os
import subprocess
import sys

import pytest
from PIL import Image

from digitpad import builtin_checkpoint_path
from digitpad.app import main
from trainer.ink.images import ImageError, load_image
from trainer.safe_names import printable


@pytest.mark.slow  # a very large file
def test_an_image_that_decodes_to_gigabytes_is_refused_before_decoding(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("L", (12000, 12000), 255).save(bomb)  # a few hundred KB on disk
    assert bomb.stat().st_size < 1_000_000
    with pytest.raises(ImageError, match="too large.*12000x12000.*Scale it down"):
        load_image(bomb)


def test_a_big_photo_is_decoded_reduced(tmp_path):
    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (6000, 4000), "white").save(photo)
    grey = load_image(photo)
    assert grey.shape[0] * grey.shape[1] <= 4_000_000 and grey.shape[1] / grey.shape[0] == pytest.approx(1.5, 0.01)


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the peak memory from Linux's /proc")
@pytest.mark.slow  # a subprocess
def test_reading_a_bomb_stays_within_a_few_hundred_megabytes(tmp_path):
    bomb = tmp_path / "bomb.png"
    Image.new("RGB", (5500, 5500), "white").save(bomb)  # 91 MB decoded: accepted, then reduced
    # VmHWM, the peak resident memory of this process's own address space: unlike ru_maxrss it does not
    # inherit the (large) test process's figure across fork and exec.
    probe = ("import sys; from trainer.ink.images import load_image; load_image(sys.argv[1]); "
             "print(next(int(l.split()[1]) // 1024 for l in open('/proc/self/status') if l.startswith('VmHWM')))")
    result = subprocess.run([sys.executable, "-c", probe, str(bomb)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < 400, f"{result.stdout.strip()} MB"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_pipe_is_refused_at_once_instead_of_read_forever(tmp_path, capsys):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageError, match="not a regular file"):
        load_image(fifo)
    assert main(["predict", str(fifo)]) == 1


def test_a_folder_is_called_a_folder(tmp_path, capsys):
    with pytest.raises(ImageError, match="is a folder"):
        load_image(tmp_path)
    assert main(["predict", "--model", str(tmp_path), "x.png"]) == 1
    assert "is a folder" in capsys.readouterr().err


def test_control_characters_in_file_names_cannot_fake_a_line_of_output(tmp_path, capsys):
    name = tmp_path / "x.png\n7.png: 3 (99.9%)\x1b[2K"
    Image.new("L", (64, 64), 255).save(tmp_path / "blank.png")
    os.link(tmp_path / "blank.png", name)
    assert main(["predict", str(name)]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "\\n7.png" in captured.err and "\\x1b" in captured.err
    assert printable("plain é.png") == "plain é.png"


def test_the_builtin_model_is_there():
    assert builtin_checkpoint_path().is_file()
