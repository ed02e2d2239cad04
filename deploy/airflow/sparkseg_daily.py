"""sparkseg_daily: segment each day's images with sparkseg on Spark, once a day.

Install: copy this file and sparkseg_daily.json (beside it) into the DAGs folder. Needs Airflow 2.6+
with apache-airflow-providers-apache-spark >= 4.6 (SparkSubmitOperator with properties_file) and a
Spark connection (default id "spark_yarn": host "yarn", extra {"deploy-mode": "client"}) on workers
that have spark-submit, the job jar and conf/sparkseg-defaults.properties at the paths of the JSON.

What is submitted lives in sparkseg_daily.json (application, class, properties file, Spark confs,
the job's arguments as Jinja templates over the logical date), so the job's tests can check the
exact arguments against the job's own command-line parser.

Tasks:
  segment          spark-submit of `sparkseg segment --mode incremental --run-id {{ ds_nodash }}`
                   over the whole image bucket: images an earlier succeeded run segmented with the
                   same model and the same file content are skipped. Retries are safe: the job
                   commits as it goes, so a retry of a dead attempt resumes the run from its last
                   commit (committed images are not recomputed, none is written twice), and a retry
                   of a finished run recomputes nothing and returns the stored summary. The retry
                   delay (10 min) is longer than the run lock's timeout (--lock-timeout-s, 60 s), so a
                   retry on another worker takes over a dead driver's lock.
                   When spark-submit has finished, the task reads the run summary the driver wrote
                   (--summary-json, one file per try) and returns it: it becomes the task's XCom.
  check_summary    reads that XCom, logs the counts and fails the DAG run when the job did not
                   succeed or nothing was segmented.
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.operators.python import PythonOperator
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

SPEC_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sparkseg_daily.json")
log = logging.getLogger(__name__)


def load_spec(path: str = SPEC_FILE) -> dict:
    """The submission spec shared with the job's tests (see the module docstring)."""
    with open(path, encoding="utf-8") as f:
        spec = json.load(f)
    args = spec["application_args"]
    if "--summary-json" not in args or args.index("--summary-json") + 1 >= len(args):
        raise ValueError(f"{path}: application_args must contain --summary-json FILE")
    return spec


def summary_path(rendered_args: list[str]) -> str:
    """The --summary-json value of a rendered argument list."""
    return rendered_args[rendered_args.index("--summary-json") + 1]


class SparksegSubmitOperator(SparkSubmitOperator):
    """spark-submit, then the run summary JSON as the task's return value (XCom)."""

    def execute(self, context):
        # rendered by now; the attribute is public in provider 4.x+, private in older releases
        args = getattr(self, "application_args", None) or getattr(self, "_application_args")
        path = summary_path(list(args))
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        if os.path.exists(path):  # never report a previous try's summary
            os.remove(path)
        super().execute(context)
        with open(path, encoding="utf-8") as f:
            return json.load(f)


def check_summary(ti=None, **_):
    summary = ti.xcom_pull(task_ids="segment")
    if not summary:
        raise ValueError("the segment task returned no run summary")
    log.info(
        "sparkseg run %s: %s, %s images (%s ok, %s failed), %s instances, %.2f images/s",
        summary.get("run_id"), summary.get("status"), summary.get("images_total"),
        summary.get("images_ok"), summary.get("images_failed"), summary.get("instances_total"),
        float(summary.get("images_per_second") or 0),
    )
    if summary.get("status") != "succeeded":
        raise ValueError(f"sparkseg run {summary.get('run_id')} ended with status {summary.get('status')}")
    if not summary.get("images_total"):
        raise ValueError(f"sparkseg run {summary.get('run_id')} found no images")
    return {k: summary.get(k) for k in ("run_id", "images_total", "images_ok", "images_failed", "instances_total")}


SPEC = load_spec()

with DAG(
    dag_id="sparkseg_daily",
    description="Mask R-CNN instance segmentation of each day's images (sparkseg on Spark)",
    schedule="@daily",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={
        "owner": "sparkseg",
        "retries": 2,
        "retry_delay": timedelta(minutes=10),
        "execution_timeout": timedelta(hours=6),
    },
    tags=["sparkseg", "spark"],
) as dag:
    segment = SparksegSubmitOperator(
        task_id="segment",
        conn_id=SPEC["conn_id"],
        application=SPEC["application"],
        java_class=SPEC["java_class"],
        properties_file=SPEC["properties_file"],
        conf=SPEC.get("conf", {}),
        files=SPEC.get("files"),
        env_vars=SPEC.get("env_vars", {}),
        name="sparkseg-{{ ds_nodash }}",
        application_args=SPEC["application_args"],
    )
    check = PythonOperator(task_id="check_summary", python_callable=check_summary)
    segment >> check
