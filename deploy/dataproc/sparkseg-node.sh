#!/usr/bin/env bash
# Dataproc initialization action (every node), after the GPU driver's (install_gpu_driver.sh):
#   - Java 17 (Debian 12's openjdk-17-jdk-headless): Dataproc 2.2 runs Java 11, sparkseg's classes
#     need 17; deploy/dataproc/job.properties points the job's driver and executors at it (JAVA_HOME)
#   - /opt/sparkseg/bin/getGpusResources.sh: Spark's GPU discovery script
#   - /opt/sparkseg/natives/*.jar: DJL's CUDA libtorch jar, when deploy/dataproc/run.sh uploaded one
# Reads the GCS folder from the cluster metadata key sparkseg-root (deploy/dataproc/run.sh sets it).
set -euo pipefail
root=$(/usr/share/google/get_metadata_value attributes/sparkseg-root)
java17=/usr/lib/jvm/java-17-openjdk-amd64
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless
"$java17/bin/java" -version
install -d -m 0755 /opt/sparkseg/bin /opt/sparkseg/natives
gsutil -q cp "$root/bootstrap/getGpusResources.sh" /opt/sparkseg/bin/getGpusResources.sh
chmod 0755 /opt/sparkseg/bin/getGpusResources.sh
if gsutil ls "$root/bootstrap/natives/*.jar" >/dev/null 2>&1; then
  gsutil -q cp "$root/bootstrap/natives/*.jar" /opt/sparkseg/natives/
else
  echo "sparkseg-node.sh: no CUDA natives jar under $root/bootstrap/natives/: executors run libtorch on the CPU" >&2
fi
