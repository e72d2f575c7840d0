"""Reads a run's TensorBoard event files with TensorBoard's own loader.

Loads LOGDIR with `tensorboard.backend.event_processing.event_accumulator.EventAccumulator`
(every scalar kept: no reservoir sampling) and prints one JSON object: for each scalar tag the
list of [step, value] in the order TensorBoard holds them, the event files it read, and
TensorBoard's version.

usage: tensorboard_scalars.py LOGDIR
"""

import json
import os
import sys

import tensorboard
from tensorboard.backend.event_processing import event_accumulator


def main():
    logdir = sys.argv[1]
    acc = event_accumulator.EventAccumulator(logdir, size_guidance={event_accumulator.SCALARS: 0})
    acc.Reload()
    scalars = {tag: [[e.step, e.value] for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}
    files = sorted(f for f in os.listdir(logdir) if "tfevents" in f)
    print(json.dumps({"scalars": scalars, "files": files, "file_version": acc.file_version,
                      "tensorboard": tensorboard.__version__}))


if __name__ == "__main__":
    main()
