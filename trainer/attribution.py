"""Which input pixels drove an answer: attributions from Captum, PyTorch's interpretability library.

Four methods, each a Captum class used as its documentation shows, none a hand-written gradient:

- "saliency": Saliency, |d log p(digit) / d pixel|, one backward pass (Simonyan et al., 2014). Live.
- "gradcam": LayerGradCam on the last convolutional block, upsampled to 28x28, one backward pass
  (Selvaraju et al., 2017). Live.
- "integrated_gradients": IntegratedGradients from a black (all-zero ink) picture, 32 steps. On request.
- "occlusion": Occlusion with a 4x4 black patch slid by 2 pixels: how much the answer's log-probability drops
  when that patch of ink is hidden. On request.

All four explain the digit's score, the net's output before its final (log-)softmax: the log-probability of a
digit the net is sure of barely moves with any pixel (the softmax is saturated), so its gradient shows nothing.

Pure PyTorch (Captum is PyTorch too), no Qt. Every function returns a 28 x 28 float32 map for one 28 x 28 [0, 1]
image. Captum is imported on first use (it takes about half a second, matplotlib included); `preload()` lets an
app pay that while idle.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from .data import MNIST_MEAN, MNIST_STD, normalize
from .inspection import INPUT_SIZE, conv_blocks, torch_threads


@dataclass(frozen=True)
class Method:
    key: str
    title: str         # what the view calls it
    live: bool         # one backward pass: cheap enough to follow the pen
    signed: bool       # the map has a sign (for / against the digit), else only a magnitude
    about: str         # one sentence for a tooltip


METHODS = {method.key: method for method in (
    Method("saliency", "Gradient saliency", True, False,
           "How strongly each pixel's brightness moves the digit's score: |gradient|, one backward pass."),
    Method("gradcam", "Grad-CAM", True, False,
           "Where the last convolutional block's features for this digit are, scaled up to 28x28."),
    Method("integrated_gradients", "Integrated Gradients", False, True,
           "Gradients summed along the path from a blank picture to this one: red for, blue against the digit."),
    Method("occlusion", "Occlusion", False, True,
           "How much the digit's score drops when a 4x4 patch is blanked: red where hiding it hurts the digit."),
)}
LIVE_METHODS = tuple(key for key, method in METHODS.items() if method.live)
IG_STEPS = 32
OCCLUSION_PATCH, OCCLUSION_STRIDE = 4, 2
# A blank picture, normalized: the baseline that Integrated Gradients and Occlusion compare with.
BLANK = -MNIST_MEAN / MNIST_STD


def preload() -> None:
    """Import Captum now (about half a second), so the first attribution is as quick as the others."""
    import captum.attr  # noqa: F401


class Scores(nn.Module):
    """The model's output before its final softmax or log-softmax layer, if it ends with one (else its output).

    The softmax's forward hook hands its input on as its output, for the duration of one forward pass.
    """

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model
        leaves = [module for module in model.modules() if not list(module.children())]
        self.softmax = leaves[-1] if leaves and isinstance(leaves[-1], (nn.LogSoftmax, nn.Softmax)) else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.softmax is None:
            return self.model(x)
        handle = self.softmax.register_forward_hook(lambda _module, inputs, _output: inputs[0])
        try:
            return self.model(x)
        finally:
            handle.remove()


def last_block_layer(model: nn.Module) -> nn.Module:
    """The module whose output is the last convolutional block's feature maps: Grad-CAM's layer."""
    return dict(model.named_modules())[conv_blocks(model)[-1].layers[-1]]


def attribute(model: nn.Module, image: np.ndarray | torch.Tensor, target: int, method: str = "saliency",
              layer: nn.Module | None = None) -> np.ndarray:
    """A 28 x 28 map of how much each input pixel counts for `target` (a digit) by `method` (a METHODS key).

    `layer` is Grad-CAM's layer (default: `last_block_layer(model)`, worth computing once per model). The model
    is put in eval mode and must be on the CPU and not used by another thread meanwhile.
    """
    from captum.attr import IntegratedGradients, LayerAttribution, LayerGradCam, Occlusion, Saliency

    if method not in METHODS:
        raise ValueError(f"unknown attribution method {method!r}; known: {', '.join(METHODS)}")
    if not 0 <= int(target) <= 9:
        raise ValueError(f"the target must be a digit 0-9, not {target!r}")
    pixels = torch.as_tensor(np.asarray(image, dtype=np.float32)).reshape(1, 1, INPUT_SIZE, INPUT_SIZE)
    inputs = normalize(pixels)
    if model.training:
        model.eval()
    scores = Scores(model)
    with torch_threads(1):
        if method == "saliency":
            result = Saliency(scores).attribute(inputs.requires_grad_(), target=int(target), abs=True)
        elif method == "gradcam":
            layer = layer if layer is not None else last_block_layer(model)
            coarse = LayerGradCam(scores, layer).attribute(inputs, target=int(target), relu_attributions=True)
            result = LayerAttribution.interpolate(coarse, (INPUT_SIZE, INPUT_SIZE), interpolate_mode="bilinear")
        elif method == "integrated_gradients":
            result = IntegratedGradients(scores).attribute(inputs, baselines=BLANK, target=int(target),
                                                          n_steps=IG_STEPS, internal_batch_size=IG_STEPS)
        else:
            window, stride = (1, OCCLUSION_PATCH, OCCLUSION_PATCH), (1, OCCLUSION_STRIDE, OCCLUSION_STRIDE)
            result = Occlusion(scores).attribute(inputs, sliding_window_shapes=window, strides=stride,
                                                baselines=BLANK, target=int(target), perturbations_per_eval=256)
    return result.detach()[0, 0].float().numpy()
