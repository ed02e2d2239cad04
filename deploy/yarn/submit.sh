#!/usr/bin/env bash
# Submits a sparkseg command to YARN with spark-submit:
#
#   deploy/yarn/submit.sh [--gpu] segment --input hdfs:///images/2026-11-25 --output hdfs:///sparkseg \
#       --model hdfs:///models/sparkseg-maskrcnn/1.0.0 --run-id 20261125
#
# Everything after the wrapper's own flags is passed to the job (io.sparkseg.job.cli.SparksegCli).
# Spark settings and the job's option defaults come from ONE file, conf/sparkseg-defaults.properties
# (SPARKSEG_CONF overrides its location): spark-submit reads its spark.* keys (--properties-file);
# the job reads its option defaults from it - shipped to the YARN containers with --files and
# found there through SPARKSEG_CONF_DIR=. (cluster mode), or read locally (client mode).
#
# --gpu  one GPU per executor (YARN resource yarn.io/gpu, needs YARN's GPU scheduling enabled),
#        EXECUTOR_CORES tasks sharing it (default 2), discovered with
#        deploy/gpu/getGpusResources.sh (shipped with --files), and DJL's CUDA libtorch from
#        GPU_NATIVES_JAR (a local path: shipped with --files) or GPU_NATIVES_PATH (already on every
#        node). Without either, DJL falls back to the CPU natives inside the job jar.
#
# Environment (all optional):
#   SPARK_HOME / SPARK_SUBMIT   which spark-submit (default: $SPARK_HOME/bin/spark-submit, else PATH)
#   SPARKSEG_JAR                the cluster jar (default: job/target/sparkseg-0.1.0-SNAPSHOT.jar)
#   SPARKSEG_CONF               the defaults file (default: conf/sparkseg-defaults.properties)
#   DEPLOY_MODE                 cluster (default) or client
#   YARN_QUEUE                  YARN queue (default: default)
#   NUM_EXECUTORS, EXECUTOR_CORES, EXECUTOR_MEMORY, EXECUTOR_MEMORY_OVERHEAD, DRIVER_MEMORY,
#   DRIVER_MEMORY_OVERHEAD (default 1g: the driver loads model.pt once to check it)
#   SPARK_EXTRA_CONF            more spark-submit words, split as a shell splits them (quote a
#                               value with spaces: --conf "spark.driver.extraJavaOptions=-Da=1 -Db=2");
#                               nothing in it is expanded or run
#   DRY_RUN=1                   print the spark-submit command (one word a line) instead of running it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
home=${SPARKSEG_HOME:-$repo}
conf_file=${SPARKSEG_CONF:-$home/conf/sparkseg-defaults.properties}
jar=${SPARKSEG_JAR:-$home/job/target/sparkseg-0.1.0-SNAPSHOT.jar}
if [ -n "${SPARK_SUBMIT:-}" ]; then
  submit=$SPARK_SUBMIT
elif [ -n "${SPARK_HOME:-}" ]; then
  submit=$SPARK_HOME/bin/spark-submit
else
  submit=spark-submit
fi
deploy_mode=${DEPLOY_MODE:-cluster}

gpu=0
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) gpu=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ $# -eq 0 ]; then
  echo "usage: $0 [--gpu] segment|evaluate [job options]   ($0 --help)" >&2
  exit 2
fi
[ -f "$conf_file" ] || { echo "submit.sh: no config file at $conf_file" >&2; exit 2; }
if [ -z "${DRY_RUN:-}" ] && [ ! -f "$jar" ]; then
  echo "submit.sh: no cluster jar at $jar (mvn -pl job -am package -DskipTests)" >&2
  exit 2
fi
case "$deploy_mode" in cluster|client) ;; *) echo "submit.sh: DEPLOY_MODE must be cluster or client" >&2; exit 2 ;; esac

# aliased: the containers find it as ./sparkseg-defaults.properties whatever its local name
files=("$conf_file#sparkseg-defaults.properties")
cores=${EXECUTOR_CORES:-2}
cmd=("$submit"
  --master yarn
  --deploy-mode "$deploy_mode"
  --queue "${YARN_QUEUE:-default}"
  --name "sparkseg $1"
  --properties-file "$conf_file"
  --num-executors "${NUM_EXECUTORS:-4}"
  --executor-cores "$cores"
  --executor-memory "${EXECUTOR_MEMORY:-6g}"
  --driver-memory "${DRIVER_MEMORY:-4g}"
  # the driver loads model.pt once on its CPU to check it before any task (native memory)
  --conf "spark.driver.memoryOverhead=${DRIVER_MEMORY_OVERHEAD:-1g}"
  --conf "spark.executor.memoryOverhead=${EXECUTOR_MEMORY_OVERHEAD:-$([ $gpu = 1 ] && echo 6g || echo 3g)}"
  # the job's option defaults, in the driver's container (cluster mode)
  --conf "spark.yarn.appMasterEnv.SPARKSEG_CONF_DIR=.")

if [ $gpu = 1 ]; then
  files+=("$repo/deploy/gpu/getGpusResources.sh")
  cmd+=(
    --conf spark.executor.resource.gpu.amount=1
    --conf spark.executor.resource.gpu.discoveryScript=./getGpusResources.sh
    # one task per executor core, all sharing the executor's GPU
    --conf "spark.task.resource.gpu.amount=$(awk -v t="$cores" 'BEGIN { printf "%g", 1 / t }')")
  natives=""
  if [ -n "${GPU_NATIVES_JAR:-}" ]; then
    files+=("$GPU_NATIVES_JAR")
    natives=$(basename "$GPU_NATIVES_JAR")
  elif [ -n "${GPU_NATIVES_PATH:-}" ]; then
    natives=$GPU_NATIVES_PATH
  else
    echo "submit.sh: --gpu without GPU_NATIVES_JAR/GPU_NATIVES_PATH: executors will run libtorch on the CPU" >&2
  fi
  if [ -n "$natives" ]; then
    # ahead of the job jar's CPU natives: DJL loads the first native build that matches the node
    cmd+=(--conf "spark.executor.extraClassPath=$natives")
  fi
fi

files_csv=$(IFS=,; echo "${files[*]}")
cmd+=(--files "$files_csv")
if [[ ${SPARK_EXTRA_CONF:-} = *[![:space:]]* ]]; then
  # xargs splits words the way a shell does (quotes, backslashes) and only runs printf: no
  # globbing, no $(...) as eval would
  xargs printf '' <<<"$SPARK_EXTRA_CONF" 2>/dev/null \
    || { echo "submit.sh: SPARK_EXTRA_CONF has an unmatched quote: $SPARK_EXTRA_CONF" >&2; exit 2; }
  mapfile -d '' -t extra < <(xargs printf '%s\0' <<<"$SPARK_EXTRA_CONF")
  cmd+=("${extra[@]}")
fi
cmd+=(--class io.sparkseg.job.cli.SparksegCli "$jar" "$@")

if [ "$deploy_mode" = client ]; then
  # the driver runs here: it reads the same file directly
  export SPARKSEG_CONF_DIR
  SPARKSEG_CONF_DIR=$(cd "$(dirname "$conf_file")" && pwd)
fi
if [ -n "${DRY_RUN:-}" ]; then
  printf '%s\n' "${cmd[@]}"
  exit 0
fi
exec "${cmd[@]}"
