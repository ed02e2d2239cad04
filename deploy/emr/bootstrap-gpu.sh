#!/usr/bin/env bash
# EMR bootstrap action (every node, before the applications start): puts what sparkseg's GPU
# executors read from the node under /opt/sparkseg:
#   bin/getGpusResources.sh  Spark's GPU discovery script (spark.executor.resource.gpu.discoveryScript)
#   natives/*.jar            DJL's CUDA libtorch (pytorch-native-cu128-2.7.1-linux-x86_64.jar), if
#                            uploaded: on spark.executor.extraClassPath, ahead of the job jar's CPU
#                            natives, so a GPU node loads the CUDA build (deploy/README.md)
# Argument: the S3 folder deploy/emr/run.sh uploaded them to.
set -euo pipefail
src=${1:?usage: bootstrap-gpu.sh s3://BUCKET/PREFIX/bootstrap}
tmp=$(mktemp -d)
aws s3 cp "$src/getGpusResources.sh" "$tmp/getGpusResources.sh"
aws s3 cp "$src/natives/" "$tmp/natives/" --recursive
sudo install -d -m 0755 /opt/sparkseg/bin /opt/sparkseg/natives
sudo install -m 0755 "$tmp/getGpusResources.sh" /opt/sparkseg/bin/getGpusResources.sh
if compgen -G "$tmp/natives/*.jar" >/dev/null; then
  sudo install -m 0644 "$tmp"/natives/*.jar /opt/sparkseg/natives/
else
  echo "bootstrap-gpu.sh: no CUDA natives jar under $src/natives/: executors run libtorch on the CPU" >&2
fi
rm -rf "$tmp"
