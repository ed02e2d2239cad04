#!/usr/bin/env bash
# sparkseg on Amazon EMR 7.x (YARN, GPU core nodes, model bundle and images on S3):
#
#   S3_ROOT=s3://my-bucket/sparkseg deploy/emr/run.sh create      # new cluster, the step runs on it
#   S3_ROOT=s3://my-bucket/sparkseg deploy/emr/run.sh submit j-ID  # the step on a running cluster
#
# EMR 7 runs Spark 3.5 / Scala 2.12 on Java 17, so the step submits the spark3.5_2.12 line's jar
# (deploy/spark-lines.properties). It uploads that jar, deploy/emr/bootstrap-gpu.sh, the GPU
# discovery script and, if GPU_NATIVES_JAR names one, DJL's CUDA natives jar under S3_ROOT, fills
# deploy/emr/step.json, then runs `aws emr create-cluster` (with deploy/emr/configurations.json and the
# bootstrap action) or `aws emr add-steps`.
#
# Environment: S3_ROOT (required); INPUT, OUTPUT, MODEL (default S3_ROOT/images, S3_ROOT/out,
# S3_ROOT/models/sparkseg-maskrcnn); RUN_ID (default: today, yyyymmdd); EMR_RELEASE (emr-7.13.0);
# INSTANCE_TYPE (g5.2xlarge: one NVIDIA A10G; g6.2xlarge: one L4); NUM_EXECUTORS (2: one GPU core
# node each); REGION (the AWS CLI's own default if unset); GPU_NATIVES_JAR (local path);
# RENDER_DIR (where the filled step.json goes; default a temporary folder);
# DRY_RUN=1 prints each command (one word a line, then --end--) instead of running it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/../lib/recipes.sh"
help_if_asked "$0" "${1:-}"

# EMR 7.x: Spark 3.5.x-amzn, Scala 2.12, Java 17 (deploy/README.md, "Amazon EMR")
LINE=spark3.5_2.12

mode=${1:-}
case "$mode" in
  create) ;;
  submit) cluster_id=${2:?usage: $0 submit CLUSTER_ID} ;;
  *) echo "usage: $0 create | submit CLUSTER_ID   ($0 --help)" >&2; exit 2 ;;
esac
: "${S3_ROOT:?set S3_ROOT, e.g. s3://my-bucket/sparkseg}"
S3_ROOT=${S3_ROOT%/}
INPUT=${INPUT:-$S3_ROOT/images}
OUTPUT=${OUTPUT:-$S3_ROOT/out}
MODEL=${MODEL:-$S3_ROOT/models/sparkseg-maskrcnn}
RUN_ID=${RUN_ID:-$(date +%Y%m%d)}
NUM_EXECUTORS=${NUM_EXECUTORS:-2}
INSTANCE_TYPE=${INSTANCE_TYPE:-g5.2xlarge}
jar=$(built_jar "$LINE")
JAR_URI=$S3_ROOT/jars/$(basename "$jar")
render_dir=${RENDER_DIR:-$(mktemp -d)}
region=()
[ -z "${REGION:-}" ] || region=(--region "$REGION")

render "$here/step.json" "$render_dir/step.json" RUN_ID NUM_EXECUTORS JAR_URI INPUT OUTPUT MODEL
run aws s3 cp "$jar" "$JAR_URI"

if [ "$mode" = submit ]; then
  run aws emr add-steps "${region[@]}" --cluster-id "$cluster_id" --steps "file://$render_dir/step.json"
  exit 0
fi
run aws s3 cp "$here/bootstrap-gpu.sh" "$S3_ROOT/bootstrap/bootstrap-gpu.sh"
run aws s3 cp "$recipes_repo/deploy/gpu/getGpusResources.sh" "$S3_ROOT/bootstrap/getGpusResources.sh"
if [ -n "${GPU_NATIVES_JAR:-}" ]; then
  run aws s3 cp "$GPU_NATIVES_JAR" "$S3_ROOT/bootstrap/natives/$(basename "$GPU_NATIVES_JAR")"
fi
run aws emr create-cluster "${region[@]}" \
  --name sparkseg \
  --release-label "${EMR_RELEASE:-emr-7.13.0}" \
  --applications Name=Spark \
  --use-default-roles \
  --log-uri "$S3_ROOT/logs/" \
  --instance-groups "InstanceGroupType=MASTER,InstanceCount=1,InstanceType=m5.xlarge" \
    "InstanceGroupType=CORE,InstanceCount=$NUM_EXECUTORS,InstanceType=$INSTANCE_TYPE" \
  --configurations "file://$here/configurations.json" \
  --bootstrap-actions "Path=$S3_ROOT/bootstrap/bootstrap-gpu.sh,Name=sparkseg-gpu,Args=[$S3_ROOT/bootstrap]" \
  --steps "file://$render_dir/step.json" \
  --auto-terminate
