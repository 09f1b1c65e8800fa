#!/usr/bin/env python3
# Usage: make_apply_review.py REQUEST.json > deployment-apply-review.json
# Builds a realistic `kubectl apply` AdmissionReview: the golden Deployment plus the last-applied
# annotation and managedFields (kubectl-client-side-apply + kube-controller-manager) as the API server fills them.
import json, sys
src = json.load(open(sys.argv[1]))
obj = src["request"]["object"]
KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
        "volumeMounts": "mountPath", "ports": "containerPort", "sysctls": "name"}
def fields(v, parent=None):
    if isinstance(v, dict):
        out = {".": {}} if parent is not None else {}
        for k, x in v.items():
            if isinstance(x, list) and k in KEYS:
                lst = {}
                for item in x:
                    key = json.dumps({KEYS[k]: item.get(KEYS[k])}, separators=(",", ":"))
                    lst["k:" + key] = fields(item, k)
                out["f:" + k] = lst
            elif isinstance(x, list):
                out["f:" + k] = {}
            else:
                out["f:" + k] = fields(x, k) if isinstance(x, dict) else {}
        return out
    return {}
md = obj.setdefault("metadata", {})
applied = {k: v for k, v in obj.items() if k != "status"}
md.setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = json.dumps(applied, separators=(",", ":")) + "\n"
md["uid"] = "0b9f5f62-3c1e-4d7a-9a57-2f5d3f0e8a11"
md["resourceVersion"] = "48213"
md["generation"] = 1
md["creationTimestamp"] = "2026-11-27T10:00:00Z"
spec_fields = fields({"spec": obj["spec"], "metadata": {"labels": md.get("labels", {}), "annotations": {"kubectl.kubernetes.io/last-applied-configuration": ""}}})
md["managedFields"] = [
    {"manager": "kubectl-client-side-apply", "operation": "Update", "apiVersion": "apps/v1",
     "time": "2026-11-27T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": spec_fields},
    {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "apps/v1",
     "time": "2026-11-27T10:00:01Z", "fieldsType": "FieldsV1", "subresource": "status",
     "fieldsV1": {"f:status": {"f:conditions": {".": {}, "k:{\"type\":\"Available\"}": {".": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}}}, "f:observedGeneration": {}, "f:replicas": {}}}},
]
json.dump(src, sys.stdout, separators=(",", ":"))
