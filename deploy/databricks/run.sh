#!/usr/bin/env bash
# sparkseg as a Databricks job (Jobs API 2.1, a JAR task on a GPU job cluster, files in a Unity
# Catalog volume), with the Databricks CLI:
#
#   VOLUME=/Volumes/main/sparkseg/files deploy/databricks/run.sh 15.4-lts   # Spark 3.5, Scala 2.12
#   VOLUME=/Volumes/main/sparkseg/files deploy/databricks/run.sh 17.3-lts   # Spark 4.0, Scala 2.13
#
# Uploads the runtime's line jar (deploy/spark-lines.properties), the init script
# deploy/databricks/sparkseg-gpu-natives.sh and GPU_NATIVES_JAR if set into the volume, fills
# deploy/databricks/job-RUNTIME.json and creates the job (`databricks jobs create`); run it with
# `databricks jobs run-now JOB_ID`. The images and the model bundle are expected under
# VOLUME/images and VOLUME/models/sparkseg-maskrcnn.
#
# Environment: VOLUME (required); NODE_TYPE (g5.2xlarge, an AWS node type: one NVIDIA A10G);
# GPU_NATIVES_JAR (local path); RENDER_DIR (where the filled job JSON goes; default a temporary
# folder); DRY_RUN=1 prints each command (one word a line, then --end--) instead of running it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/recipes.sh"
help_if_asked "$0" "${1:-}"

runtime=${1:-}
# each runtime's Spark line (deploy/README.md, "Databricks")
case "$runtime" in
  15.4-lts) LINE=spark3.5_2.12 ;;
  17.3-lts) LINE=spark4.0_2.13 ;;
  *) echo "usage: $0 15.4-lts | 17.3-lts   ($0 --help)" >&2; exit 2 ;;
esac
: "${VOLUME:?set VOLUME, a Unity Catalog volume folder, e.g. /Volumes/main/sparkseg/files}"
VOLUME=${VOLUME%/}
NODE_TYPE=${NODE_TYPE:-g5.2xlarge}
jar=$(built_jar "$LINE")
JAR_NAME=$(basename "$jar")
render_dir=${RENDER_DIR:-$(mktemp -d)}

render "$here/job-$runtime.json" "$render_dir/job-$runtime.json" VOLUME NODE_TYPE JAR_NAME
run databricks fs cp --overwrite "$jar" "dbfs:$VOLUME/jars/$JAR_NAME"
run databricks fs cp --overwrite "$here/sparkseg-gpu-natives.sh" "dbfs:$VOLUME/init/sparkseg-gpu-natives.sh"
if [ -n "${GPU_NATIVES_JAR:-}" ]; then
  run databricks fs cp --overwrite "$GPU_NATIVES_JAR" "dbfs:$VOLUME/natives/$(basename "$GPU_NATIVES_JAR")"
fi
run databricks jobs create --json "@$render_dir/job-$runtime.json"
