"""The hand-written optimizer step and schedule (trainer/sgd.py) against torch's own, which they replace so that
no process pays for importing torch._dynamo."""

import subprocess
import sys

import pytest
import torch

from trainer.model import build_model
from trainer.sgd import NesterovSGD, OneCycle


@pytest.mark.parametrize("total_steps, pct_start", [(50, 0.2), (3, 2 / 3), (7, 0.3)])
def test_the_schedule_is_onecycles_step_by_step(total_steps, pct_start):
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=total_steps,
                                                   pct_start=pct_start)
    ours = OneCycle(0.1, total_steps, pct_start)
    for step in range(total_steps):
        lr, momentum = ours.at(step)
        assert lr == pytest.approx(optimizer.param_groups[0]["lr"], rel=1e-12, abs=1e-15)
        assert momentum == pytest.approx(optimizer.param_groups[0]["momentum"], rel=1e-12)
        optimizer.step()
        schedule.step()


@pytest.mark.slow  # a training run
def test_training_the_seed_net_with_it_matches_torchs_sgd_to_1e_6():
    torch.manual_seed(0)
    reference = build_model("seed", dropout=0.0)  # no random masks: both nets must see the same function
    ours = build_model("seed", dropout=0.0)
    ours.load_state_dict(reference.state_dict())
    images, labels = torch.randn(12, 64, 1, 28, 28), torch.randint(0, 10, (12, 64))
    steps = len(images)
    torch_sgd = torch.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    torch_schedule = torch.optim.lr_scheduler.OneCycleLR(torch_sgd, max_lr=0.1, total_steps=steps, pct_start=0.2)
    sgd, schedule = NesterovSGD(ours.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4), OneCycle(0.1, steps, 0.2)
    for step in range(steps):
        for model, optimizer in ((reference, torch_sgd), (ours, sgd)):
            optimizer.zero_grad()
            torch.nn.functional.nll_loss(model.train()(images[step]), labels[step]).backward()
        sgd.lr, sgd.momentum = schedule.at(step)
        torch_sgd.step()
        torch_schedule.step()
        sgd.step()
    for name, tensor in reference.state_dict().items():
        assert torch.allclose(tensor.float(), ours.state_dict()[name].float(), atol=1e-6, rtol=0), name
    assert any((a != b).any() for a, b in zip(reference.parameters(), build_model("seed").parameters()))


def test_a_parameter_without_gradient_is_an_error_not_a_silent_skip():
    model = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 2))
    sgd = NesterovSGD(model.parameters(), lr=0.1, momentum=0.9)
    model[0](torch.ones(1, 2)).sum().backward()
    with pytest.raises(RuntimeError, match="no gradient"):
        sgd.step()


@pytest.mark.slow  # a subprocess
def test_a_whole_training_run_does_not_import_torch_dynamo():
    code = ("import sys, torch\n"
            "from trainer.config import TrainConfig\n"
            "from trainer.data import LabelledImages\n"
            "from trainer.engine import train\n"
            "split = LabelledImages(torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,)))\n"
            "result = train(TrainConfig(epochs=1, batch_size=32, outlier_batch=0), split, split.head(16))\n"
            "assert len(result.history) == 1\n"
            "print('torch._dynamo' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
