#!/usr/bin/env python3
"""A run's steady speed from its metrics.jsonl: tokens/s between step WARMUP and the last step.
With START_MS (when the command started, ms since the epoch), first the seconds to the first
completed step. Usage: run_rate.py METRICS_JSONL WARMUP [START_MS]"""
import json
import sys

records = [json.loads(line) for line in open(sys.argv[1]) if '"train"' in line]
warmup = int(sys.argv[2])
a, b = records[warmup - 1], records[-1]
rate = (b["tokens"] - a["tokens"]) / ((b["unix_ms"] - a["unix_ms"]) / 1000)
if len(sys.argv) > 3:
    print("%.1f %.1f" % ((records[0]["unix_ms"] - int(sys.argv[3])) / 1000, rate))
else:
    print("%.1f" % rate)
