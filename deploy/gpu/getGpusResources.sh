#!/usr/bin/env bash
# Spark GPU discovery script for sparkseg executors (and drivers, if they get GPUs):
#   spark.executor.resource.gpu.discoveryScript=/path/to/getGpusResources.sh
# Prints the GPUs this container/process may use as Spark's resource JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Addresses are CUDA device ordinals as this process sees them: with YARN GPU isolation or the
# Kubernetes NVIDIA device plugin only the assigned GPUs are visible, numbered from 0.
# Sources, first that answers: nvidia-smi; else CUDA_VISIBLE_DEVICES (a comma list of ordinals).
# Exits non-zero (Spark then fails the executor start) when no GPU is found.
set -euo pipefail

addresses=()
if command -v nvidia-smi >/dev/null 2>&1; then
  while IFS= read -r line; do
    line="${line//[[:space:]]/}"
    [ -n "$line" ] && addresses+=("$line")
  done < <(nvidia-smi --query-gpu=index --format=csv,noheader)
elif [ -n "${CUDA_VISIBLE_DEVICES:-}" ]; then
  IFS=',' read -r -a visible <<< "$CUDA_VISIBLE_DEVICES"
  # CUDA renumbers the visible devices 0..n-1
  for i in "${!visible[@]}"; do
    [ -n "${visible[$i]// /}" ] && addresses+=("$i")
  done
fi

if [ ${#addresses[@]} -eq 0 ]; then
  echo "getGpusResources.sh: no GPU visible (no nvidia-smi output, CUDA_VISIBLE_DEVICES empty)" >&2
  exit 1
fi

json=""
for a in "${addresses[@]}"; do
  json+="${json:+, }\"$a\""
done
printf '{"name": "gpu", "addresses": [%s]}\n' "$json"
