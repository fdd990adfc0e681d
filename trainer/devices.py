"""Where and in what precision to train: the GPU when there is one, bf16 where the hardware does it natively."""

from __future__ import annotations

import torch

# torch's thread count as the process started. The app's live reading sets its own thread to 1 thread for each
# pass; in OpenMP builds a thread started meanwhile could inherit that, so each worker sets this count first.
DEFAULT_THREADS = torch.get_num_threads()


def use_all_threads() -> None:
    """Give the calling (worker) thread torch's full thread count for its work."""
    torch.set_num_threads(DEFAULT_THREADS)


def pick_device(name: str = "auto") -> torch.device:
    """The device to train on; ValueError, saying why, for a name torch doesn't know or a device not present."""
    if name != "auto":
        try:
            device = torch.device(name)
        except RuntimeError:
            raise ValueError(f"unknown device {name!r}; use auto, cpu, cuda or mps") from None
        present = {"cpu": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
        if not present.get(device.type, False):
            raise ValueError(f"device {name!r} is not available on this machine; use auto or cpu")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def pick_precision(name: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype, or None for plain float32.

    bf16 autocast makes a CPU epoch faster where oneDNN has native bf16 (AVX-512 BF16, AMX; 1.4x in docs/speed.md),
    mostly by halving the memory traffic of the BatchNorm/ReLU layers; elsewhere (AVX2 only) it would be emulated and
    slower, so float32 is the path there.
    """
    if name == "fp32":
        return None
    if name == "bf16":
        return torch.bfloat16
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else None
    if device.type == "cpu":
        try:
            return torch.bfloat16 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else None
        except (AttributeError, RuntimeError):
            return None
    return None


def cpu_capability() -> str:
    """What the CPU offers PyTorch's kernels (e.g. AVX512, AVX2), for benchmarks to print beside their figures."""
    capability = torch.backends.cpu.get_cpu_capability()
    try:
        bf16 = torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):
        bf16 = False
    return f"{capability}{' with native bf16' if bf16 else ', no native bf16'}"
