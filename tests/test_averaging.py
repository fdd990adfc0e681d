"""The run's moving average of the weights is AveragedModel's, to the last bit, only quicker (trainer.averaging)."""

import torch
from torch.optim.swa_utils import AveragedModel

from trainer.averaging import WeightAverage, warm_up_decay
from trainer.model import build_model


def torch_warm_up(decay):
    """AveragedModel's multi_avg_fn as the engine gave it before (trainer.engine.ema_with_warm_up)."""
    @torch.no_grad()
    def update(averaged, current, n_averaged):
        step_decay = min(decay, (1 + float(n_averaged)) / (10 + float(n_averaged)))
        if averaged[0].is_floating_point():
            torch._foreach_lerp_(averaged, current, 1 - step_decay)
        else:
            for a, c in zip(averaged, current):
                a.copy_(c)
    return update


def test_the_average_is_averaged_models_to_the_bit():
    torch.manual_seed(0)
    model = build_model().to(memory_format=torch.channels_last)
    ours = WeightAverage(model, 0.99)
    theirs = AveragedModel(model, multi_avg_fn=torch_warm_up(0.99), use_buffers=True)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for step in range(30):
        images = torch.rand(16, 1, 28, 28, generator=torch.Generator().manual_seed(step))
        loss = -model(images)[:, step % 10].mean()  # BatchNorm's statistics and counters move too
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        ours.update()
        theirs.update_parameters(model)
    mine, torch_s = ours.module.state_dict(), theirs.module.state_dict()
    assert mine.keys() == torch_s.keys()
    assert all(torch.equal(mine[name], torch_s[name]) for name in mine)
    assert not torch.equal(mine["features.0.0.weight"], model.state_dict()["features.0.0.weight"])  # averaged
    assert ours.n_averaged == int(theirs.n_averaged) == 30


def test_the_warm_up_follows_the_weights_closely_at_first():
    assert warm_up_decay(0.999, 0) == 0.1 and warm_up_decay(0.999, 10) == 11 / 20
    assert warm_up_decay(0.999, 10**6) == 0.999
