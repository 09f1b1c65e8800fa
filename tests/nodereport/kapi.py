#!/usr/bin/env python3
"""A tiny admin client for the test's kube-apiserver (client certificate in system:masters).

Usage (env KAPI_URL, KAPI_CA, KAPI_CERT, KAPI_KEY):
  kapi.py get PATH                       print the object as JSON (exit 1 on HTTP >= 400)
  kapi.py post PATH JSON                 create; print the reply
  kapi.py delete PATH
  kapi.py apply FILE                     create or replace every object of a multi-document YAML
  kapi.py token NS SA [SECRET]           a TokenRequest (bound to Secret SECRET if given): prints the token
"""
import json
import os
import ssl
import sys
import urllib.error
import urllib.request

import yaml

URL = os.environ["KAPI_URL"]
CTX = ssl.create_default_context(cafile=os.environ["KAPI_CA"])
CTX.load_cert_chain(os.environ["KAPI_CERT"], os.environ["KAPI_KEY"])

# Collection path of each kind the test applies.
PLURAL = {
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Namespace": ("/api/v1", "namespaces", False),
    "ClusterRole": ("/apis/rbac.authorization.k8s.io/v1", "clusterroles", False),
    "ClusterRoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "clusterrolebindings", False),
    "Role": ("/apis/rbac.authorization.k8s.io/v1", "roles", True),
    "RoleBinding": ("/apis/rbac.authorization.k8s.io/v1", "rolebindings", True),
    "DaemonSet": ("/apis/apps/v1", "daemonsets", True),
}


def call(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(URL + path, data=data, method=method,
                                 headers={"Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, context=CTX, timeout=30) as r:
            return r.status, json.loads(r.read() or b"{}")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def must(status, obj, what):
    if status >= 400:
        sys.exit(f"kapi.py: {what}: HTTP {status}: {obj.get('message', obj)}")
    return obj


def collection(obj):
    prefix, plural, namespaced = PLURAL[obj["kind"]]
    if namespaced:
        return f"{prefix}/namespaces/{obj['metadata'].get('namespace', 'default')}/{plural}"
    return f"{prefix}/{plural}"


def apply(path):
    for obj in yaml.safe_load_all(open(path)):
        if not obj:
            continue
        coll = collection(obj)
        name = obj["metadata"]["name"]
        status, cur = call("GET", f"{coll}/{name}")
        if status == 404:
            must(*call("POST", coll, obj), f"create {obj['kind']} {name}")
        else:
            obj["metadata"]["resourceVersion"] = must(status, cur, f"get {name}")["metadata"]["resourceVersion"]
            must(*call("PUT", f"{coll}/{name}", obj), f"replace {obj['kind']} {name}")
        print(f"applied {obj['kind']} {name}", file=sys.stderr)


def main():
    cmd = sys.argv[1]
    if cmd == "get":
        print(json.dumps(must(*call("GET", sys.argv[2]), "get " + sys.argv[2])))
    elif cmd == "post":
        print(json.dumps(must(*call("POST", sys.argv[2], json.loads(sys.argv[3])), "post " + sys.argv[2])))
    elif cmd == "delete":
        must(*call("DELETE", sys.argv[2]), "delete " + sys.argv[2])
    elif cmd == "apply":
        apply(sys.argv[2])
    elif cmd == "token":
        ns, sa = sys.argv[2], sys.argv[3]
        spec = {"expirationSeconds": 3600}
        if len(sys.argv) > 4:
            secret = must(*call("GET", f"/api/v1/namespaces/{ns}/secrets/{sys.argv[4]}"), "get secret")
            spec["boundObjectRef"] = {"kind": "Secret", "apiVersion": "v1", "name": sys.argv[4],
                                      "uid": secret["metadata"]["uid"]}
        tr = must(*call("POST", f"/api/v1/namespaces/{ns}/serviceaccounts/{sa}/token",
                        {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
                  "token request")
        print(tr["status"]["token"])
    else:
        sys.exit("kapi.py: unknown command " + cmd)


if __name__ == "__main__":
    main()
