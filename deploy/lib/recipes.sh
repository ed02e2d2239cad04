# Shared by the managed-platform recipes (deploy/emr, deploy/dataproc, deploy/databricks), sourced:
# which jar a Spark line runs, templates filled from shell variables, commands run or printed.
recipes_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# The file name of LINE's cluster jar (deploy/spark-lines.properties).
line_jar() {
  local name
  name=$(sed -n "s/^$1=//p" "$recipes_repo/deploy/spark-lines.properties")
  if [ -z "$name" ]; then
    echo "no jar for Spark line '$1' in deploy/spark-lines.properties" >&2
    return 2
  fi
  printf '%s\n' "$name"
}

# Writes TEMPLATE to OUT with each ${NAME} replaced by shell variable NAME's value (NAMEs listed);
# a placeholder left unfilled is an error, so a recipe never reaches a platform half-filled.
render() {
  local template=$1 out=$2 text name
  shift 2
  text=$(<"$template")
  for name in "$@"; do
    text=${text//"\${$name}"/"${!name}"}
  done
  if [[ $text == *'${'* ]]; then
    echo "$template: placeholder left unfilled: $(grep -o '\${[A-Z_]*}' <<<"$text" | sort -u | tr '\n' ' ')" >&2
    return 2
  fi
  mkdir -p "$(dirname "$out")"
  printf '%s\n' "$text" >"$out"
}

# Runs a command, or with DRY_RUN=1 prints it one word a line followed by a line "--end--".
run() {
  if [ -n "${DRY_RUN:-}" ]; then
    printf '%s\n' "$@" "--end--"
  else
    "$@"
  fi
}

# The local path of LINE's built jar; without DRY_RUN it must exist.
built_jar() {
  local jar
  # the default line builds into job/target/, every other line into job/target-LINE/
  local dir=target
  [ "$1" = spark4.0_2.13 ] || dir=target-$1
  jar=$recipes_repo/job/$dir/$(line_jar "$1") || return 2
  if [ -z "${DRY_RUN:-}" ] && [ ! -f "$jar" ]; then
    local profile=""
    [ "$1" = spark4.0_2.13 ] || profile=" -P $1"
    echo "no $jar: build the $1 line first (mvn -B$profile -DskipTests package)" >&2
    return 2
  fi
  printf '%s\n' "$jar"
}

# Prints SCRIPT's header comment and exits when ARG asks for help (-h, --help).
help_if_asked() {
  case "${2:-}" in
    -h|--help) sed -n '2,/^set -euo/p' "$1" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  esac
}
