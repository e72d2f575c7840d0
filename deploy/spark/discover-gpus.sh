#!/usr/bin/env bash
# Spark GPU discovery: prints the GPUs this executor may use as Spark's ResourceInformation JSON.
# NVIDIA through nvidia-smi; otherwise the OpenCL GPUs clinfo lists (AMD, Intel), indexed 0..n-1.
set -euo pipefail
if command -v nvidia-smi >/dev/null 2>&1; then
  ids=$(nvidia-smi --query-gpu=index --format=csv,noheader | paste -sd, -)
elif command -v clinfo >/dev/null 2>&1; then
  n=$(clinfo -l 2>/dev/null | grep -c 'Device.*' || true)
  ids=$(seq -s, 0 $((n - 1)) 2>/dev/null || true)
else
  ids=""
fi
printf '{"name":"gpu","addresses":[%s]}\n' "$(echo "$ids" | sed 's/[^,][^,]*/"&"/g')"
