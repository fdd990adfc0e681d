"""What a net makes of a picture at one of its layers, as one vector per picture: the features the nearest
examples are looked up in and the points map is drawn from.

Nothing here knows the seed Net: the layers offered are the model's convolutional blocks as the inside view
shows them (trainer.inspection.conv_blocks), plus "input" (the picture's own pixels), and the default is the
last block, the features the classifier reads. Pure PyTorch, no Qt: the app computes them in a worker thread.
"""

from __future__ import annotations

import threading

import torch
from torch import nn

from .data import normalize
from .evaluation import EVALUATION_BATCH, Stopped
from .inspection import conv_blocks

INPUT = "input"


CLASSES = 10


def feature_layers(model: nn.Module) -> list[str]:
    """The layers features can be taken at, from the picture itself to the last block: ["input", "features.0",
    ..., "features.8", "classifier.0"] for the seed Net."""
    return [INPUT] + [block.name for block in conv_blocks(model)]


def last_layer(model: nn.Module) -> str:
    """The last layer of features: the last block, unless that block is the classifier itself (a map per digit,
    as the seed Net's 1x1 convolution to ten channels), whose scores say less of how a digit is drawn than what
    they are read from: then the block before it ("features.8" in the seed Net)."""
    blocks = conv_blocks(model)
    if len(blocks) > 1 and blocks[-1].channels == CLASSES:
        return blocks[-2].name
    return blocks[-1].name if blocks else INPUT


def layer_features(model: nn.Module, images: torch.Tensor, layer: str | None = None,
                   batch_size: int = EVALUATION_BATCH, stop: threading.Event | None = None) -> torch.Tensor:
    """N x D float32: each [0, 1] picture's output at `layer` (the last block when None), flattened.

    The model runs in eval mode on the CPU, on blocks of `batch_size` pictures; raises Stopped between blocks
    once `stop` is set. "input" gives the pictures' own pixels."""
    layer = layer or last_layer(model)
    if layer == INPUT:
        return images.reshape(len(images), -1).float().clone()
    modules = dict(model.named_modules())
    if layer not in modules:
        raise ValueError(f"the model has no layer {layer!r}; it has {', '.join(feature_layers(model))}")
    captured: list[torch.Tensor] = []
    hook = modules[layer].register_forward_hook(lambda _m, _i, output: captured.append(output.detach().clone()))
    was_training = model.training
    model.eval()
    try:
        with torch.inference_mode():
            for start in range(0, len(images), batch_size):
                if stop is not None and stop.is_set():
                    raise Stopped
                model(normalize(images[start:start + batch_size].float()))
    finally:
        hook.remove()
        model.train(was_training)
    if not captured:
        return torch.empty(0, 0)
    return torch.cat([block.reshape(len(block), -1).float() for block in captured])
