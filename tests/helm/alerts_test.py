#!/usr/bin/python3
"""The chart's PrometheusRule, judged by Prometheus' own promtool (Debian's prometheus package).

  alerts_test.py RENDER.yaml     (a rendering with metrics.prometheusRule.enabled, release "gopreflight")

`promtool check rules` parses every expression; `promtool test rules` feeds series shaped like the
server's /metrics and checks that each alert fires when it should and stays silent when it should
not: WebhookDown after 5 minutes without a ready replica, DenialsRising on a jump of denials (not
on a steady rate), CertificateExpiresSoon inside 14 days (not at 30). Exits 1 on any failure.
"""
import os
import subprocess
import sys
import tempfile

import yaml

docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
rules = [d for d in docs if d.get("kind") == "PrometheusRule"]
if len(rules) != 1:
    sys.exit(f"alerts_test: expected one PrometheusRule in {sys.argv[1]}, found {len(rules)}")
groups = rules[0]["spec"]["groups"]
by_name = {r["alert"]: r for g in groups for r in g["rules"]}
work = tempfile.mkdtemp(prefix="gp-alerts.")
with open(os.path.join(work, "rules.yaml"), "w") as f:
    yaml.safe_dump({"groups": groups}, f)

sel = 'job="gopreflight",namespace="gopreflight"'


def alert(name, **labels):
    r = by_name[name]
    return {"exp_labels": {**r.get("labels", {}), **labels}, "exp_annotations": r.get("annotations", {})}


day = 86400
tests = [
    {   # No ready replica: fires after the 5 minutes of "for", not before.
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_ready{{{sel},pod="a"}}', "values": "1 1 0x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "GopreflightWebhookDown", "exp_alerts": []},
            {"eval_time": "9m", "alertname": "GopreflightWebhookDown",
             "exp_alerts": [alert("GopreflightWebhookDown")]},
        ],
    },
    {   # Healthy: one ready replica of two is enough.
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_ready{{{sel},pod="a"}}', "values": "1x30"},
            {"series": f'gopreflight_webhook_ready{{{sel},pod="b"}}', "values": "0x30"},
        ],
        "alert_rule_test": [{"eval_time": "20m", "alertname": "GopreflightWebhookDown", "exp_alerts": []}],
    },
    {   # Denials: 1/min for 7 hours (steady, below the floor), then 300/min (5/s): fires after 10 min.
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_reviews_total{{{sel},endpoint="validate",operation="CREATE",kind="Pod",decision="denied"}}',
             "values": "0+1x420 420+300x30"},
        ],
        "alert_rule_test": [
            {"eval_time": "400m", "alertname": "GopreflightDenialsRising", "exp_alerts": []},
            {"eval_time": "440m", "alertname": "GopreflightDenialsRising", "exp_alerts": [alert("GopreflightDenialsRising")]},
        ],
    },
    {   # A high but steady denial rate is not "rising".
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_reviews_total{{{sel},endpoint="validate",operation="CREATE",kind="Pod",decision="denied"}}',
             "values": "0+300x450"},
        ],
        "alert_rule_test": [{"eval_time": "440m", "alertname": "GopreflightDenialsRising", "exp_alerts": []}],
    },
    {   # notAfter 10 days from the start: inside 14 days, fires after the hour of "for".
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_certificate_not_after_seconds{{{sel},pod="a"}}', "values": f"{10 * day}x120"},
        ],
        "alert_rule_test": [
            {"eval_time": "30m", "alertname": "GopreflightCertificateExpiresSoon", "exp_alerts": []},
            {"eval_time": "90m", "alertname": "GopreflightCertificateExpiresSoon",
             "exp_alerts": [alert("GopreflightCertificateExpiresSoon")]},
        ],
    },
    {   # 30 days left: silent.
        "interval": "1m",
        "input_series": [
            {"series": f'gopreflight_webhook_certificate_not_after_seconds{{{sel},pod="a"}}', "values": f"{30 * day}x200"},
        ],
        "alert_rule_test": [{"eval_time": "150m", "alertname": "GopreflightCertificateExpiresSoon", "exp_alerts": []}],
    },
]
with open(os.path.join(work, "tests.yaml"), "w") as f:
    yaml.safe_dump({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests}, f)

failed = False
for args in (["check", "rules", "rules.yaml"], ["test", "rules", "tests.yaml"]):
    r = subprocess.run(["promtool", *args], cwd=work, capture_output=True, text=True)
    print(f"promtool {' '.join(args)}: exit {r.returncode}")
    if r.returncode != 0:
        failed = True
        print(r.stdout + r.stderr)
sys.exit(1 if failed else 0)
