"""STUB HARNESS - NOT AIRFLOW. Checks deploy/airflow/sparkseg_daily.py without Airflow installed.

Airflow cannot be installed in this project's build environment (no PyPI; Debian has no package),
so this script puts minimal stand-ins for the three Airflow names the DAG imports (DAG,
PythonOperator, SparkSubmitOperator) on sys.modules, imports the DAG file, and checks what the DAG
declares: schedule, retries, task ids, the dependency, the spark-submit settings, and that the
Jinja templates of the job arguments render (with the real jinja2, as Airflow does) to the plain
substitution the Java test DeployArgumentsTest uses. It then runs the submit task's summary-to-XCom
path and check_summary against the stand-ins. It does NOT prove the DAG loads in a real Airflow:
the stand-ins only accept the keyword arguments the real classes accept (listed below from the
provider's documented signature).

  /usr/bin/python3 deploy/airflow/check_dag_with_stubs.py            # prints "ok" lines, exit 0
  /usr/bin/python3 deploy/airflow/check_dag_with_stubs.py --print-args 2026-11-25
      # prints the rendered application_args for that logical date as a JSON list
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import tempfile
import types
from datetime import timedelta

HERE = os.path.dirname(os.path.abspath(__file__))
DAG_FILE = os.path.join(HERE, "sparkseg_daily.py")

# keyword arguments of SparkSubmitOperator (apache-airflow-providers-apache-spark 4.6+) and BaseOperator
SPARK_SUBMIT_KWARGS = {
    "application", "conf", "conn_id", "files", "py_files", "archives", "driver_class_path", "jars",
    "java_class", "packages", "exclude_packages", "repositories", "total_executor_cores",
    "executor_cores", "executor_memory", "driver_memory", "keytab", "principal", "proxy_user", "name",
    "num_executors", "status_poll_interval", "application_args", "env_vars", "verbose", "spark_binary",
    "properties_file", "yarn_queue", "deploy_mode", "use_krb5ccache",
}
BASE_OPERATOR_KWARGS = {"task_id", "retries", "retry_delay", "execution_timeout", "owner", "dag", "pool"}


class _Dag:
    current = None

    def __init__(self, dag_id, **kwargs):
        self.dag_id = dag_id
        self.kwargs = kwargs
        self.tasks = {}

    def __enter__(self):
        _Dag.current = self
        return self

    def __exit__(self, *exc):
        _Dag.current = None


class _BaseOperator:
    def __init__(self, task_id, **kwargs):
        self.task_id = task_id
        self.kwargs = kwargs
        self.downstream = set()
        self.dag = _Dag.current
        if self.dag is None:
            raise AssertionError(f"task {task_id} created outside a DAG context")
        self.dag.tasks[task_id] = self

    def __rshift__(self, other):
        self.downstream.add(other.task_id)
        return other


class _SparkSubmitOperator(_BaseOperator):
    submitted = []

    def __init__(self, task_id, **kwargs):
        unknown = set(kwargs) - SPARK_SUBMIT_KWARGS - BASE_OPERATOR_KWARGS
        if unknown:
            raise AssertionError(f"SparkSubmitOperator has no argument(s) {sorted(unknown)}")
        super().__init__(task_id, **kwargs)
        self.application_args = kwargs.get("application_args")

    def execute(self, context):  # stand-in for spark-submit: the "driver" writes its summary
        _SparkSubmitOperator.submitted.append(list(self.application_args))
        args = self.application_args
        path = args[args.index("--summary-json") + 1]
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"run_id": args[args.index("--run-id") + 1], "status": "succeeded",
                       "images_total": 3, "images_ok": 3, "images_failed": 0,
                       "instances_total": 7, "images_per_second": 1.5}, f)


class _PythonOperator(_BaseOperator):
    def __init__(self, task_id, python_callable, **kwargs):
        super().__init__(task_id, **kwargs)
        self.python_callable = python_callable


def install_stubs():
    airflow = types.ModuleType("airflow")
    airflow.DAG = _Dag
    ops = types.ModuleType("airflow.operators")
    ops_python = types.ModuleType("airflow.operators.python")
    ops_python.PythonOperator = _PythonOperator
    spark_mod = types.ModuleType("airflow.providers.apache.spark.operators.spark_submit")
    spark_mod.SparkSubmitOperator = _SparkSubmitOperator
    for name, mod in {
        "airflow": airflow, "airflow.operators": ops, "airflow.operators.python": ops_python,
        "airflow.providers": types.ModuleType("airflow.providers"),
        "airflow.providers.apache": types.ModuleType("airflow.providers.apache"),
        "airflow.providers.apache.spark": types.ModuleType("airflow.providers.apache.spark"),
        "airflow.providers.apache.spark.operators": types.ModuleType("airflow.providers.apache.spark.operators"),
        "airflow.providers.apache.spark.operators.spark_submit": spark_mod,
    }.items():
        sys.modules[name] = mod


def load_dag_module():
    install_stubs()
    spec = importlib.util.spec_from_file_location("sparkseg_daily", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


try:
    import jinja2  # Debian: python3-jinja2
except ImportError:  # the check then only covers the plain substitution
    jinja2 = None


def render(value, ds, try_number=1):
    """Renders a template the way Airflow does (jinja2, StrictUndefined) with the DAG's macros."""
    if jinja2 is None:
        return plain(value, ds, try_number)
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    ti = types.SimpleNamespace(try_number=try_number)
    return env.from_string(value).render(ds=ds, ds_nodash=ds.replace("-", ""), ti=ti)


def plain(value, ds, try_number=1):
    """The plain substitution DeployArgumentsTest (Java) applies."""
    return (value.replace("{{ ds_nodash }}", ds.replace("-", "")).replace("{{ ds }}", ds)
            .replace("{{ ti.try_number }}", str(try_number)))


def main(argv):
    module = load_dag_module()
    dag = module.dag
    if len(argv) >= 2 and argv[0] == "--print-args":
        print(json.dumps([render(a, argv[1]) for a in module.SPEC["application_args"]]))
        return 0

    def ok(what):
        print(f"ok - {what}")

    assert dag.dag_id == "sparkseg_daily"
    assert dag.kwargs["schedule"] == "@daily" and dag.kwargs["catchup"] is False
    assert dag.kwargs["max_active_runs"] == 1
    assert dag.kwargs["default_args"]["retries"] >= 1
    assert dag.kwargs["default_args"]["retry_delay"] >= timedelta(minutes=1)
    ok("DAG sparkseg_daily: @daily, no catchup, one active run, retries")

    assert set(dag.tasks) == {"segment", "check_summary"}, dag.tasks
    segment, check = dag.tasks["segment"], dag.tasks["check_summary"]
    assert segment.downstream == {"check_summary"}
    assert isinstance(segment, _SparkSubmitOperator)
    ok("tasks segment >> check_summary")

    kw = segment.kwargs
    assert kw["java_class"] == "io.sparkseg.job.cli.SparksegCli"
    assert kw["properties_file"].endswith("/sparkseg-defaults.properties"), kw["properties_file"]
    assert kw["application"].endswith(".jar")
    args = kw["application_args"]
    assert args[0] == "segment"
    assert args[args.index("--run-id") + 1] == "{{ ds_nodash }}"
    # incremental over the whole bucket: the input is the same every day, the run id is the date
    assert "{{" not in args[args.index("--input") + 1]
    assert args[args.index("--mode") + 1] == "incremental"
    assert "{{ ti.try_number }}" in args[args.index("--summary-json") + 1]
    ok("spark-submit: SparksegCli, the one properties file, run id = logical date, incremental")

    for ds in ("2026-11-25", "2027-01-01"):
        for a in args + [kw["name"]]:
            assert render(a, ds) == plain(a, ds), (a, render(a, ds), plain(a, ds))
    rendered = [render(a, "2026-11-25") for a in args]
    assert rendered[rendered.index("--run-id") + 1] == "20261125"
    if jinja2 is None:
        ok("templates render by plain substitution (jinja2 not installed: Jinja rendering NOT checked)")
    else:
        ok("templates render with jinja2 exactly as the plain substitution the Java test uses")

    with tempfile.TemporaryDirectory() as tmp:
        segment.application_args = [a.replace("/tmp/sparkseg", tmp) for a in rendered]
        stale = segment.application_args[segment.application_args.index("--summary-json") + 1]
        with open(stale, "w", encoding="utf-8") as f:
            f.write("{\"status\": \"stale\"}")
        summary = segment.execute({})
        assert summary["status"] == "succeeded" and summary["run_id"] == "20261125", summary
        ok("segment task returns the run summary (its XCom), never a previous try's file")

        class _Ti:
            def xcom_pull(self, task_ids):
                assert task_ids == "segment"
                return summary

        out = check.python_callable(ti=_Ti())
        assert out["images_total"] == 3
        summary["status"] = "failed_fraction_exceeded"
        try:
            check.python_callable(ti=_Ti())
            raise AssertionError("check_summary accepted a failed run")
        except ValueError:
            pass
        ok("check_summary passes a succeeded run and fails a failed one")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
