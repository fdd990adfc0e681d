"""A training run reuses the memory its batches free: no page faults batch after batch (trainer.memory)."""

import json
import sys

import pytest

from .commands import run_python

# Runs twenty batches of a fresh process's training and counts each batch's page faults after the first four (which
# size the heap): the median batch's. glibc's defaults gave thousands every batch (2,700-5,700 for these, about
# 6,800 for MNIST's); with the thresholds raised most batches take none. The median, not the mean: now and then one
# batch alone takes a few hundred (on a busy machine, a mean over six batches came to 323 once), which is not
# the memory handed back and faulted in again that this guards against.
FAULTS_PROBE = """
import json, resource, statistics, sys
import torch
from trainer.config import BatchEnd, TrainConfig
from trainer.data import load_mnist
from trainer.engine import train

train_split, test_split = load_mnist(sys.argv[1], download=False)
faults = {}

def on_event(event):
    if isinstance(event, BatchEnd):
        faults[event.batch] = resource.getrusage(resource.RUSAGE_SELF).ru_minflt

train(TrainConfig(epochs=1, batch_size=128, outlier_batch=0).check(), train_split, test_split, on_event=on_event)
print(json.dumps(statistics.median(faults[batch] - faults[batch - 1] for batch in range(5, 21))))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc's thresholds are glibc's (Linux)")
def test_training_batches_take_almost_no_page_faults(fake_mnist):
    probe = run_python(str(fake_mnist(2560, 20)), code=FAULTS_PROBE)
    assert probe.returncode == 0, probe.stderr
    per_batch = json.loads(probe.stdout.strip().splitlines()[-1])
    assert per_batch < 300, f"{per_batch:.0f} page faults a batch"


def test_keeping_freed_memory_is_asked_once_and_says_whether_it_took():
    from trainer.memory import keep_freed_memory

    assert keep_freed_memory() is keep_freed_memory() is sys.platform.startswith("linux")
