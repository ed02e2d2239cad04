#!/usr/bin/env bash
# Databricks cluster-scoped init script (every node, before Spark starts): copies DJL's CUDA libtorch
# jar (pytorch-native-cu128-2.7.1-linux-x86_64.jar) from the folder SPARKSEG_NATIVES (a Unity Catalog
# volume path, set in the job cluster's spark_env_vars) into /databricks/jars, the runtime's own class
# path. There it comes before the job jar (a cluster library) and its CPU natives, so DJL loads the
# CUDA build on a GPU node. Without the jar, executors run libtorch on the CPU.
set -euo pipefail
src=${SPARKSEG_NATIVES:?SPARKSEG_NATIVES (spark_env_vars) names the volume folder with the natives jar}
shopt -s nullglob
jars=("$src"/pytorch-native-cu*.jar)
if [ ${#jars[@]} -eq 0 ]; then
  echo "sparkseg-gpu-natives.sh: no pytorch-native-cu*.jar in $src: executors run libtorch on the CPU" >&2
  exit 0
fi
cp "${jars[@]}" /databricks/jars/
