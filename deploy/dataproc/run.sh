#!/usr/bin/env bash
# sparkseg on Google Dataproc 2.2 (YARN, NVIDIA GPUs on the workers, bundle and images on GCS):
#
#   GCS_ROOT=gs://my-bucket/sparkseg REGION=europe-west4 deploy/dataproc/run.sh create   # cluster
#   GCS_ROOT=gs://my-bucket/sparkseg REGION=europe-west4 deploy/dataproc/run.sh submit   # the job
#
# Dataproc 2.2 runs Spark 3.5 / Scala 2.12, so the job runs the spark3.5_2.12 line's jar
# (deploy/spark-lines.properties); the image's GCS connector serves gs:// (the jar brings none).
# create uploads the init action deploy/dataproc/sparkseg-node.sh (Java 17, discovery script, CUDA
# natives), the discovery script and GPU_NATIVES_JAR if set, then creates the cluster with Dataproc's
# GPU driver init action first: copy gpu/install_gpu_driver.sh from
# github.com/GoogleCloudDataproc/initialization-actions to GCS_ROOT/init/ yourself (Google advises
# against creating clusters from its public bucket). submit uploads the jar and submits the job with
# deploy/dataproc/job.properties.
#
# Environment: GCS_ROOT, REGION (required); CLUSTER (sparkseg); INPUT, OUTPUT, MODEL (default
# GCS_ROOT/images, GCS_ROOT/out, GCS_ROOT/models/sparkseg-maskrcnn); RUN_ID (today, yyyymmdd);
# NUM_WORKERS (2); WORKER_MACHINE_TYPE (n1-standard-8); GPU_TYPE (nvidia-tesla-t4); GPU_NATIVES_JAR;
# DRY_RUN=1 prints each command (one word a line, then --end--) instead of running it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/recipes.sh"
help_if_asked "$0" "${1:-}"
# Dataproc 2.2: Spark 3.5, Scala 2.12, Java 11 (+ Java 17 from sparkseg-node.sh) (deploy/README.md)
LINE=spark3.5_2.12

: "${GCS_ROOT:?set GCS_ROOT, e.g. gs://my-bucket/sparkseg}"
: "${REGION:?set REGION, e.g. europe-west4}"
mode=${1:-}
if [ "$mode" != create ] && [ "$mode" != submit ]; then
  echo "usage: $0 create | submit   ($0 --help)" >&2
  exit 2
fi
GCS_ROOT=${GCS_ROOT%/}
cluster=${CLUSTER:-sparkseg}

if [ "$mode" = create ]; then
  run gsutil cp "$here/sparkseg-node.sh" "$GCS_ROOT/init/sparkseg-node.sh"
  run gsutil cp "$recipes_repo/deploy/gpu/getGpusResources.sh" "$GCS_ROOT/bootstrap/getGpusResources.sh"
  if [ -n "${GPU_NATIVES_JAR:-}" ]; then
    run gsutil cp "$GPU_NATIVES_JAR" "$GCS_ROOT/bootstrap/natives/$(basename "$GPU_NATIVES_JAR")"
  fi
  run gcloud dataproc clusters create "$cluster" \
    --region "$REGION" \
    --image-version 2.2-debian12 \
    --master-machine-type n1-standard-4 \
    --num-workers "${NUM_WORKERS:-2}" \
    --worker-machine-type "${WORKER_MACHINE_TYPE:-n1-standard-8}" \
    --worker-accelerator "type=${GPU_TYPE:-nvidia-tesla-t4},count=1" \
    --initialization-actions "$GCS_ROOT/init/install_gpu_driver.sh,$GCS_ROOT/init/sparkseg-node.sh" \
    --initialization-action-timeout 30m \
    --metadata "gpu-driver-provider=NVIDIA,sparkseg-root=$GCS_ROOT"
  exit 0
fi

jar=$(built_jar "$LINE")
jar_uri=$GCS_ROOT/jars/$(basename "$jar")
output=${OUTPUT:-$GCS_ROOT/out}
run_id=${RUN_ID:-$(date +%Y%m%d)}
# job.properties as one --properties value; '#' separates them (gcloud topic escaping), since
# values hold commas and spaces
properties=$(grep -v '^[[:space:]]*\(#\|$\)' "$here/job.properties" | paste -sd '#' -)
run gsutil cp "$jar" "$jar_uri"
run gcloud dataproc jobs submit spark \
  --cluster "$cluster" \
  --region "$REGION" \
  --class io.sparkseg.job.cli.SparksegCli \
  --jars "$jar_uri" \
  --properties "^#^$properties" \
  -- \
  segment \
  --input "${INPUT:-$GCS_ROOT/images}" \
  --output "$output" \
  --model "${MODEL:-$GCS_ROOT/models/sparkseg-maskrcnn}" \
  --run-id "$run_id" \
  --batch-size 8 \
  --prefetch 16 \
  --summary-json "$output/summaries/$run_id.json"
