import urllib.error

import numpy as np
import pytest
import torch

from tests.fake_mnist import write_fake_mnist
from trainer.augment import augment_batch
from trainer.data import (
    MNIST_MEAN,
    MNIST_STD,
    RAW_FILES,
    DataError,
    as_split,
    load_mnist,
    normalize,
    resolve_data_dir,
)
from trainer.safe_names import printable


def test_reads_an_mnist_folder_into_memory(tmp_path):
    write_fake_mnist(tmp_path, n_train=40, n_test=20)
    train, test = load_mnist(tmp_path, download=False)
    assert train.images.shape == (40, 1, 28, 28) and test.images.shape == (20, 1, 28, 28)
    assert train.images.dtype == torch.float32
    assert train.images.min() == 0 and train.images.max() == 1
    assert train.labels.dtype == torch.int64 and len(train.labels) == 40


def test_train_limit_keeps_the_first_images_and_the_whole_test_set(tmp_path):
    write_fake_mnist(tmp_path, n_train=40, n_test=20)
    full, _ = load_mnist(tmp_path, download=False)
    train, test = load_mnist(tmp_path, download=False, train_limit=10)
    assert len(train) == 10 and len(test) == 20
    assert torch.equal(train.labels, full.labels[:10])


def test_data_dir_comes_from_the_environment_and_forgives_pointing_at_raw(tmp_path, monkeypatch):
    write_fake_mnist(tmp_path)
    monkeypatch.setenv("DIGITPAD_DATA", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(tmp_path / "MNIST" / "raw") == tmp_path
    assert resolve_data_dir(tmp_path / "MNIST") == tmp_path
    train, _ = load_mnist(download=False)
    assert len(train) == 64


def test_missing_files_name_the_folder_the_files_and_the_ways_out(tmp_path):
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert all(name in message for name in RAW_FILES)
    assert error.value.folder_hint  # each front end says how to point elsewhere, in its own words
    assert "--data-dir" not in message  # a flag means nothing to a person in the window


def test_failed_download_gives_one_clear_message(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    def offline(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz")
    monkeypatch.setattr(MNIST, "download", offline)
    with pytest.raises(DataError, match="could not be downloaded") as error:
        load_mnist(tmp_path, download=True)
    assert str(tmp_path / "MNIST" / "raw") in str(error.value)


def test_torchvisions_message_of_several_lines_becomes_one_line(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    def offline(self):  # as torchvision words it: a line per mirror tried
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\nTried https://a.example/, got:\n"
                           "<urlopen error [Errno -3] Temporary failure in name resolution>\n")
    monkeypatch.setattr(MNIST, "download", offline)
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path)
    message = str(error.value)
    assert "\n" not in message and printable(message) == message  # no newline, nor a "\n" printed for one
    assert "Tried https://a.example/, got: <urlopen error [Errno -3] Temporary failure" in message


def test_offline_urlerror_during_download_is_reported_not_raised(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    def offline(self):
        raise urllib.error.URLError("Temporary failure in name resolution")
    monkeypatch.setattr(MNIST, "download", offline)
    with pytest.raises(DataError, match="name resolution"):
        load_mnist(tmp_path)


@pytest.mark.parametrize("name", ["train-images-idx3-ubyte", "t10k-labels-idx1-ubyte"])
def test_truncated_file_is_named_in_the_error(tmp_path, name):
    write_fake_mnist(tmp_path)
    path = tmp_path / "MNIST" / "raw" / name
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(DataError) as error:
        load_mnist(tmp_path, download=False)
    assert str(path) in str(error.value) and "corrupt" in str(error.value)


def test_garbage_file_is_named_in_the_error(tmp_path):
    write_fake_mnist(tmp_path)
    path = tmp_path / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.write_bytes(b"<html>404 not found</html>")
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte"):
        load_mnist(tmp_path, download=False)


def test_images_and_labels_of_different_lengths_are_refused(tmp_path):
    write_fake_mnist(tmp_path)
    import numpy as np

    from tests.fake_mnist import write_idx
    write_idx(tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(10, np.uint8))
    with pytest.raises(DataError, match="64 images but 10 labels"):
        load_mnist(tmp_path, download=False)


def test_a_labelled_set_becomes_a_split_from_arrays_or_tensors_with_or_without_a_channel():
    images = np.random.default_rng(0).random((3, 28, 28))
    for given, labels in ((images, [1, 7, 3]), (torch.from_numpy(images[:, None]), torch.tensor([1, 7, 3]))):
        split = as_split(given, labels)
        assert split.images.shape == (3, 1, 28, 28) and split.images.dtype == torch.float32
        assert split.labels.tolist() == [1, 7, 3] and split.labels.dtype == torch.int64
        assert torch.allclose(split.images[:, 0].double(), torch.from_numpy(images), atol=1e-6)


@pytest.mark.parametrize("count, labels", [(3, [1, 7]), (0, [])])
def test_a_set_without_one_digit_per_image_is_refused(count, labels):
    with pytest.raises(ValueError, match=f"{count} images but {len(labels)} labels: a set needs one digit per image"):
        as_split(np.zeros((count, 28, 28)), labels)


def test_normalize_uses_mnist_statistics():
    torch.testing.assert_close(normalize(torch.tensor([MNIST_MEAN, MNIST_MEAN + MNIST_STD])),
                               torch.tensor([0.0, 1.0]))


def test_augmentation_is_per_image_random_and_reproducible():
    images = torch.zeros(8, 1, 28, 28)
    images[:, :, 8:20, 12:16] = 1.0
    first = augment_batch(images, torch.Generator().manual_seed(1))
    again = augment_batch(images, torch.Generator().manual_seed(1))
    other = augment_batch(images, torch.Generator().manual_seed(2))
    assert first.shape == images.shape
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert not torch.allclose(first[0], first[1])  # each image gets its own transform
    # Small transforms keep the digit: ink stays roughly the same amount, within the frame.
    ink = images.sum(dim=(1, 2, 3))
    assert ((first.sum(dim=(1, 2, 3)) - ink).abs() / ink < 0.3).all()


def test_augmentation_with_zero_limits_is_the_identity():
    images = torch.rand(4, 1, 28, 28)
    same = augment_batch(images, torch.Generator().manual_seed(0), max_rotation=0, max_shift=0, max_scale=0)
    torch.testing.assert_close(same, images, atol=1e-5, rtol=0)


def test_augmentation_follows_the_images_to_their_device():
    """The random draws stay on the CPU generator; the transform must still meet the images where they are."""
    images = torch.zeros(2, 1, 28, 28, device="meta")
    assert augment_batch(images, torch.Generator().manual_seed(0)).device.type == "meta"


def test_low_resolution_softens_a_share_of_the_batch_and_leaves_the_rest():
    from trainer.augment import low_resolution

    images = torch.zeros(64, 1, 28, 28)
    images[:, :, 4:24, 13:15] = 1.0  # a sharp 1, two pixels wide
    softened = low_resolution(images, torch.Generator().manual_seed(3), 0.5)
    changed = (softened != images).flatten(1).any(dim=1)
    assert 16 <= int(changed.sum()) <= 48  # about half
    assert torch.equal(softened[~changed], images[~changed])
    soft = softened[changed]
    assert torch.isclose(soft.amax(dim=(1, 2, 3)), torch.ones(1)).all()  # ink stretched to full again
    assert ((soft > 0) & (soft < 0.9)).flatten(1).sum(dim=1).min() > 10  # soft grey edges where it was sharp
    assert (soft[..., 13:15].sum(dim=(1, 2, 3)) > 0.5 * images[0, ..., 13:15].sum()).all()  # still where it was
    assert torch.equal(low_resolution(images, torch.Generator().manual_seed(3), 0.0), images)
    again = low_resolution(images, torch.Generator().manual_seed(3), 0.5)
    assert torch.equal(again, softened)
