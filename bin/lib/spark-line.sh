# Sourced by bin/sparkseg, bin/demo and bin/test: the Spark line that SPARKSEG_SPARK names.
#   SPARKSEG_SPARK unset or 4.0_2.13   the default line: Spark 4.0, Scala 2.13 (job/target/)
#   SPARKSEG_SPARK=3.5_2.12 | 3.5_2.13 Spark 3.5 with that Scala (job/target-spark3.5_2.12/ ...)
#   SPARKSEG_SPARK=4.1_2.13            Spark 4.1, Scala 2.13 (job/target-spark4.1_2.13/)
# Sets SPARK_LINE (e.g. spark3.5_2.12), SPARK_LINE_MVN (the Maven arguments that build it: its
# profile, empty for the default), SPARK_LINE_TARGET (each module's build folder name) and
# SPARK_LINE_JAR (the cluster jar's file name); the root pom's profiles define the same names.
case "${SPARKSEG_SPARK:-4.0_2.13}" in
  4.0_2.13)
    SPARK_LINE=spark4.0_2.13; SPARK_LINE_MVN=(); SPARK_LINE_TARGET=target ;;
  3.5_2.12 | 3.5_2.13 | 4.1_2.13)
    SPARK_LINE="spark$SPARKSEG_SPARK"; SPARK_LINE_MVN=(-P "$SPARK_LINE"); SPARK_LINE_TARGET="target-$SPARK_LINE" ;;
  *)
    echo "SPARKSEG_SPARK=$SPARKSEG_SPARK: not a Spark line sparkseg builds (3.5_2.12, 3.5_2.13, 4.0_2.13, 4.1_2.13)" >&2
    exit 2 ;;
esac
# the jar's name, from the one file that names each line's jar (the recipes read it too)
SPARK_LINE_JAR=$(sed -n "s/^$SPARK_LINE=//p" "$(dirname "${BASH_SOURCE[0]}")/../../deploy/spark-lines.properties")
