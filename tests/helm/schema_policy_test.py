#!/usr/bin/python3
"""The chart's `policy` values schema and gopreflight-webhook's policy reader accept the same keys.

  schema_policy_test.py CHART_DIR GOPREFLIGHT_WEBHOOK HELM

One source of truth is the binary (webhook/policy/policy_load.cpp): values.schema.json only mirrors
it so that `helm install` refuses a typo before anything is applied. This test keeps the mirror
exact, both ways:
  1. SAMPLE below sets every key the schema allows (and nothing else): `policy lint` accepts it
     and `helm template` accepts it; a schema key missing from SAMPLE, or a SAMPLE key the schema
     lacks, is reported.
  2. For every mapping of SAMPLE, a typo key inserted there is refused by `policy lint` (whose
     message lists the keys it knows: they must be the schema's keys at that place, plus
     apiVersion/kind/injection at the top, which the chart sets itself) and by `helm template`.
Exits 1 with one line per problem.
"""
import copy
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

SAMPLE = {
    "podSecurity": {"level": "baseline", "version": "v1.30", "mode": "warn"},
    "requiredSysctls": [
        {"name": "net.ipv4.tcp_fin_timeout", "max": 30, "mode": "audit"},
        {"name": "net.ipv4.tcp_keepalive_time", "min": 60},
        {"name": "net.ipv4.ip_local_port_range", "equals": "1024 65535"},
    ],
    "securityContext": {"mode": "warn", "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                        "allowPrivilegeEscalation": False, "runAsUser": {"min": 1000, "max": 65535},
                        "runAsGroup": {"min": 1000, "max": 65535}},
    "goRuntime": {"mode": "enforce", "goContainersAnnotation": "gopreflight.io/go-containers", "gomemlimitRatio": 0.9},
    "initCheck": {"mode": "warn", "namespaces": ["shop"], "containerName": "gopreflight-check"},
    "exemptions": {"namespaces": ["kube-system"], "usernames": ["system:serviceaccount:ci:deployer"],
                   "runtimeClasses": ["kata"]},
}
# Keys of the policy file the chart writes itself (not in values.policy).
CHART_SET = {"apiVersion", "kind", "injection"}
TYPO = "zzTypo"

problems = []
chart, webhook, helm = sys.argv[1:4]
schema = json.load(open(os.path.join(chart, "values.schema.json")))
work = tempfile.mkdtemp(prefix="gp-schema-policy.")


def resolve(node):
    while "$ref" in node:
        node = schema["definitions"][node["$ref"].split("/")[-1]]
    return node


def schema_paths(node, path):
    """Every key path the schema allows under node ("requiredSysctls[].name" style)."""
    node = resolve(node)
    out = set()
    if "properties" in node:
        for k, v in node["properties"].items():
            p = f"{path}.{k}" if path else k
            out.add(p)
            out |= schema_paths(v, p)
    if "items" in node:
        out |= schema_paths(node["items"], path + "[]")
    return out


def sample_paths(value, path):
    out = set()
    if isinstance(value, dict):
        for k, v in value.items():
            p = f"{path}.{k}" if path else k
            out.add(p)
            out |= sample_paths(v, p)
    elif isinstance(value, list):
        for v in value:
            out |= sample_paths(v, path + "[]")
    return out


def schema_keys_at(path_parts):
    """The property names the schema allows at a SAMPLE location (list of keys / ints)."""
    node = resolve(schema["properties"]["policy"])
    for part in path_parts:
        node = resolve(node["items"] if isinstance(part, int) else node["properties"][part])
    return set(node.get("properties", {}))


def mappings(value, parts):
    """SAMPLE locations that are mappings: [] (the root), ["podSecurity"], ["requiredSysctls", 0], ..."""
    out = []
    if isinstance(value, dict):
        out.append(parts)
        for k, v in value.items():
            out += mappings(v, parts + [k])
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += mappings(v, parts + [i])
    return out


def lint(policy, name):
    doc = {"apiVersion": "gopreflight.io/v1alpha1", "kind": "Policy", **policy}
    path = os.path.join(work, name + ".yaml")
    with open(path, "w") as f:
        yaml.safe_dump(doc, f, sort_keys=False)
    r = subprocess.run([webhook, "policy", "lint", path], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def helm_template(policy, name):
    path = os.path.join(work, name + "-values.yaml")
    with open(path, "w") as f:
        yaml.safe_dump({"policy": policy}, f, sort_keys=False)
    # values.policy is merged over the chart's default policy, whose keys SAMPLE all sets.
    r = subprocess.run([helm, "template", "gp", chart, "-f", path], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


# 1. Every schema key is in SAMPLE and the reverse; SAMPLE passes both.
in_schema = schema_paths(schema["properties"]["policy"], "")
in_sample = sample_paths(SAMPLE, "")
for p in sorted(in_schema - in_sample):
    problems.append(f"schema allows policy.{p} but SAMPLE does not set it (add a valid value to SAMPLE)")
for p in sorted(in_sample - in_schema):
    problems.append(f"SAMPLE sets policy.{p} but the schema does not allow it")
rc, out = lint(SAMPLE, "sample")
if rc != 0:
    problems.append(f"policy lint refuses SAMPLE (exit {rc}): {out.strip()}")
rc, out = helm_template(SAMPLE, "sample")
if rc != 0:
    problems.append(f"helm template refuses SAMPLE as values.policy (exit {rc}): {out.strip()[:400]}")

# 2. A typo at every mapping: both refuse it, and the binary's key list is the schema's.
for parts in mappings(SAMPLE, []):
    where = ".".join(str(p) for p in parts) or "<root>"
    bad = copy.deepcopy(SAMPLE)
    target = bad
    for part in parts:
        target = target[part]
    target[TYPO] = True
    rc, out = lint(bad, "typo-" + re.sub(r"[^a-zA-Z0-9]", "_", where))
    m = re.search(r'unknown key "' + TYPO + r'" in [^;]*; expected one of: ([^\n]*)', out)
    if rc != 1 or not m:
        problems.append(f"policy lint does not refuse a typo at {where} (exit {rc}): {out.strip()[:300]}")
    else:
        known = {k.strip() for k in m.group(1).split(",")}
        want = schema_keys_at(parts) | (CHART_SET if not parts else set())
        if known != want:
            problems.append(f"at {where}: the binary accepts {sorted(known)}, the schema {sorted(want)}")
    rc, out = helm_template(bad, "typo-" + re.sub(r"[^a-zA-Z0-9]", "_", where))
    if rc == 0 or TYPO not in out:
        problems.append(f"helm template accepts a typo at policy {where} (exit {rc})")

for p in problems:
    print(f"schema_policy_test: {p}")
print(f"schema_policy_test: {len(mappings(SAMPLE, []))} mappings, {len(in_schema)} keys, {len(problems)} problems")
sys.exit(1 if problems else 0)
