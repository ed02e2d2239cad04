#!/usr/bin/env bash
# The multi-JVM cluster test: the shaded cluster jar on a real Spark standalone cluster (Master +
# Worker + 2 executor JVMs of 1 core each, all on 127.0.0.1), submitted with Spark's SparkSubmit,
# with an executor killed mid-run, and the driver killed after a commit and the run resumed
# (job/src/test/java/io/sparkseg/job/deploy/SegmentClusterIT.java).
#
#   deploy/cluster-test.sh            # build the jar + Spark jar list, run the test
#   SKIP_BUILD=1 deploy/cluster-test.sh   # reuse job/target/sparkseg-*.jar
#
# Knobs (system properties passed to the test): IMAGES (default 8), PARTITIONS (default 4).
# MVN_FLAGS (default "-B -q") is added to every mvn call, e.g. MVN_FLAGS="-B -q -o" offline.
# bin/test runs the same test inside `mvn verify`; this script runs it alone.
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_FLAGS=${MVN_FLAGS:--B -q}
export MAVEN_OPTS="${MAVEN_OPTS:--Xmx1g}"
start=$(date +%s)

if [ -z "${SKIP_BUILD:-}" ] || [ ! -f job/target/sparkseg-0.1.0-SNAPSHOT.jar ]; then
  echo "cluster-test: building the cluster jar (job/target/sparkseg-0.1.0-SNAPSHOT.jar)" >&2
  # shellcheck disable=SC2086
  mvn $MVN_FLAGS -pl job -am package -DskipTests
fi
echo "cluster-test: resolving the Spark distribution jars (deploy/standalone/pom.xml)" >&2
# shellcheck disable=SC2086
mvn $MVN_FLAGS -f deploy/standalone/pom.xml package
built=$(date +%s)

echo "cluster-test: running SegmentClusterIT" >&2
# shellcheck disable=SC2086
mvn $MVN_FLAGS -pl job -am test -Dtest=SegmentClusterIT -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsparkseg.cluster.required=true \
  -Dsparkseg.cluster.images="${IMAGES:-8}" -Dsparkseg.cluster.partitions="${PARTITIONS:-4}" \
  -Dsurefire.reportFormat=plain -Dsurefire.useFile=false
end=$(date +%s)
echo "cluster-test: build $((built - start)) s, test $((end - built)) s" >&2
