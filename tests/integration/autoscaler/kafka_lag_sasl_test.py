#!/usr/bin/env python3
"""KafkaLag against the real broker with SASL/SCRAM, through per-policy named connections
(issue 15 acceptance, authenticated sources).

The Kafka peer's SASL_PLAINTEXT listener (SCRAM-SHA-512, user `keelson`, its password in a file);
deploy/base on the kube peer; one `keelson-autoscaler run` under the keelson-autoscaler
ServiceAccount's token with `--connections` defining three Kafka connections (files in the
--kafka-config format naming the username and password files): `orders` and `orders-wrong` (a
wrong password) for team-k, `team-x-only` for team-x. The policy team-k/consumer switches between
them with `kubectl apply`. Checks:
  1. `connection: orders`: 100 messages produced over SASL to a 4-partition topic, a group that
     never committed and `offsetResetPolicy: earliest`: lag 100, capped at 4 partitions x 10 ->
     team-k/consumer 1 -> 4; status ScalingActive=True ValidMetricFound;
  2. `connection: orders-wrong`: ScalingActive=False FailedGetKafkaLagMetric whose message says the
     broker refused the authentication, a FailedGetMetrics Warning Event, the process still
     running, the count left alone;
  3. `connection: team-x-only`: refused for team-k's policy with a sentence naming the connection
     and the namespaces allowed; nothing read;
  and the password in no log line, condition or Event.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from cluster import (SOURCE, Checks, Kube, condition, load_env, scaling_policy, start_autoscaler,
                     stop_autoscaler, wait)

NS = "keelson-system"
APP_NS = "team-k"
TOPIC = "orders-sasl"
GROUP = "billing-sasl"


def policy(bootstrap, connection):
    return scaling_policy(APP_NS, "consumer", f"""\
    - type: KafkaLag
      kafkaLag:
        bootstrapServers: "{bootstrap}"
        consumerGroup: {GROUP}
        topic: {TOPIC}
        lagThreshold: 10
        offsetResetPolicy: earliest
        connection: {connection}
""")


def main():
    kube, kafka = Kube(), load_env("kafka")
    k = kube.k
    checks = Checks()
    expect = checks.expect
    bootstrap = kafka["KEELSON_KAFKA_SASL_BOOTSTRAP"]
    password = Path(kafka["KEELSON_KAFKA_SASL_PASSWORD_FILE"]).read_text().strip()
    work = Path(tempfile.mkdtemp(prefix="keelson-kafka-sasl-"))
    (work / "username").write_text(kafka["KEELSON_KAFKA_SASL_USERNAME"] + "\n")
    (work / "wrong-password").write_text("not-" + password + "\n")

    for name, password_file in (("orders", kafka["KEELSON_KAFKA_SASL_PASSWORD_FILE"]),
                                ("orders-wrong", work / "wrong-password"),
                                ("team-x-only", kafka["KEELSON_KAFKA_SASL_PASSWORD_FILE"])):
        (work / f"{name}.properties").write_text("# the SASL listener of the Kafka peer\n"
                                                 "security.protocol=SASL_PLAINTEXT\n"
                                                 "sasl.mechanisms=SCRAM-SHA-512\n"
                                                 f"sasl.username.file={work / 'username'}\n"
                                                 f"sasl.password.file={password_file}\n")
    # Relative configs: next to the connections file.
    (work / "connections.yaml").write_text(
        "kafka:\n"
        f"  orders: {{namespaces: [{APP_NS}], config: orders.properties}}\n"
        f"  orders-wrong: {{namespaces: [{APP_NS}], config: orders-wrong.properties}}\n"
        "  team-x-only: {namespaces: [team-x], config: team-x-only.properties}\n")

    proc = None
    log_path = work / "autoscaler.log"

    def status():
        return kube.status(APP_NS, "consumer")

    def until(predicate, seconds=60):
        return wait(predicate, seconds, proc)

    try:
        kube.fresh_app(APP_NS, "consumer")

        subprocess.run([str(SOURCE / "tests/peers/kafka"), "create-topic", TOPIC, "4"], check=True,
                       capture_output=True)
        sasl = ["-b", bootstrap, "-X", "security.protocol=SASL_PLAINTEXT", "-X",
                "sasl.mechanisms=SCRAM-SHA-512", "-X",
                f"sasl.username={kafka['KEELSON_KAFKA_SASL_USERNAME']}", "-X",
                f"sasl.password={password}"]
        for partition in range(4):
            subprocess.run(["kcat"] + sasl + ["-P", "-t", TOPIC, "-p", str(partition)], check=True,
                           input="".join(f"order {partition}-{i}\n" for i in range(25)), text=True)

        token = k("-n", NS, "create", "token", "keelson-autoscaler").stdout.strip()
        sa = kube.kubeconfig_for(work / "sa.kubeconfig", token, "keelson-autoscaler")
        k("apply", "-f", "-", stdin=policy(bootstrap, "orders"))
        proc = start_autoscaler(["--kubeconfig", str(sa), "--listen", "127.0.0.1:0",
                                 "--sync-period", "1", "--connections",
                                 str(work / "connections.yaml")], log_path, "kafka-sasl-test", NS)
        expect(until(lambda: kube.replicas(APP_NS, "consumer") == 4),
               f"lag 100 over SASL/SCRAM (connection orders) scales team-k/consumer 1 -> 4 "
               f"({kube.replicas(APP_NS, 'consumer')})")
        expect(until(lambda: condition(status(), "ScalingActive").get("reason")
                     == "ValidMetricFound"),
               f"ScalingActive ValidMetricFound: {json.dumps(status())}")

        k("apply", "-f", "-", stdin=policy(bootstrap, "orders-wrong"))
        refused = lambda: condition(status(), "ScalingActive")  # noqa: E731
        expect(until(lambda: refused().get("reason") == "FailedGetKafkaLagMetric", 90),
               f"wrong password: ScalingActive FailedGetKafkaLagMetric: {refused()}")
        # Held by a policy that cannot read its metric: a hand-made count is left alone.
        k("-n", APP_NS, "scale", "deployment", "consumer", "--replicas=1")
        expect(until(lambda: status().get("currentReplicas") == 1, 30),
               "the policy sees the hand-made count")
        message = refused().get("message", "")
        expect(refused().get("status") == "False" and "uthentication" in message,
               f"the condition says the broker refused the credentials: {message}")
        expect(until(lambda: any(e.get("reason") == "FailedGetMetrics" and e.get("type") == "Warning"
                                 for e in kube.events(APP_NS, "consumer")), 30),
               "a FailedGetMetrics Warning Event on the target")
        expect(proc.poll() is None, "the autoscaler is still running")
        expect(kube.replicas(APP_NS, "consumer") == 1, "the count is left alone")

        k("apply", "-f", "-", stdin=policy(bootstrap, "team-x-only"))
        expect(until(lambda: "may not be used by policies in namespace team-k"
                     in refused().get("message", ""), 30),
               f"another team's connection refused: {refused().get('message')}")
        expect(kube.replicas(APP_NS, "consumer") == 1, "still left alone")
        leaked = [where for where, text in (
            ("log", log_path.read_text()), ("status", json.dumps(status())),
            ("events", json.dumps(kube.events(APP_NS, "consumer")))) if password in text]
        expect(not leaked, f"the password appears nowhere ({leaked})")
    finally:
        stop_autoscaler(proc, log_path)
        k("delete", "namespace", APP_NS, "--wait=false", check=False)
        kube.delete_base()
    return checks.result()


if __name__ == "__main__":
    sys.exit(main())
