#!/usr/bin/python3
"""Assertions on the chart's renderings and the plain manifests (tests/helm/helm_test.sh).

  check_render.py CASE RENDER.yaml [more args]

CASE is one of: default, cert-manager, cert-manager-issuer, mutation, custom-policy, secret,
everything, openshift, rotation-prepare, policy (print the ConfigMap's policy file to stdout), same
(RENDER.yaml vs the kustomize output given as the next argument). Exits 1 with one line per failed expectation.
"""
import base64
import sys

import yaml

problems = []


def expect(cond, what):
    if not cond:
        problems.append(what)
    return cond


def load(path):
    return [d for d in yaml.safe_load_all(open(path)) if d]


def by_kind(docs, kind):
    return [d for d in docs if d.get("kind") == kind]


def one(docs, kind):
    found = by_kind(docs, kind)
    expect(len(found) == 1, f"expected exactly one {kind}, found {len(found)}")
    return found[0] if found else {}


def selector_exprs(sel):
    return {e["key"]: (e["operator"], tuple(e.get("values", []))) for e in sel.get("matchExpressions", [])}


def validating(docs):
    vwc = one(docs, "ValidatingWebhookConfiguration")
    hooks = vwc.get("webhooks", [])
    expect(len(hooks) == 1, f"one validating webhook expected, found {len(hooks)}")
    return vwc, (hooks[0] if hooks else {})


WORKLOADS = {
    "": {"pods", "pods/ephemeralcontainers", "replicationcontrollers", "podtemplates"},
    "apps": {"deployments", "replicasets", "statefulsets", "daemonsets"},
    "batch": {"jobs", "cronjobs"},
}


# webhook.excludeNamespaces by default: CNI/CSI/add-on namespaces, besides the release's and kube-system.
DEFAULT_EXCLUDED = ("kube-node-lease", "kube-public", "calico-system", "calico-apiserver", "tigera-operator",
                    "kube-flannel", "cilium", "cilium-secrets", "longhorn-system", "rook-ceph", "openebs",
                    "cert-manager", "gatekeeper-system", "kyverno")


def check_validating_common(hook, release_ns):
    expect(hook.get("sideEffects") == "None", "sideEffects must be None")
    expect(hook.get("admissionReviewVersions") == ["v1"], "admissionReviewVersions must be [v1]")
    expect(hook.get("clientConfig", {}).get("service", {}).get("path") == "/validate", "path /validate")
    got = {}
    for r in hook.get("rules", []):
        expect(set(r["operations"]) == {"CREATE", "UPDATE"}, f"operations {r['operations']}")
        for g in r["apiGroups"]:
            got.setdefault(g, set()).update(r["resources"])
    expect(got == WORKLOADS, f"validated resources {got} != {WORKLOADS}")
    excluded = selector_exprs(hook.get("namespaceSelector", {})).get("kubernetes.io/metadata.name")
    expect(excluded is not None and excluded[0] == "NotIn" and release_ns in excluded[1]
           and "kube-system" in excluded[1], f"namespaceSelector must exclude {release_ns} and kube-system: {excluded}")
    return excluded


def check_deployment(docs, shutdown_delay=5):
    dep = one(docs, "Deployment")
    spec = dep.get("spec", {})
    expect(spec.get("replicas") == 2, "2 replicas")
    pod = spec.get("template", {}).get("spec", {})
    psc = pod.get("securityContext", {})
    expect(psc.get("runAsNonRoot") is True and psc.get("seccompProfile", {}).get("type") == "RuntimeDefault",
           f"Pod securityContext not restricted: {psc}")
    expect("podAntiAffinity" in pod.get("affinity", {}), "pod anti-affinity")
    c = pod.get("containers", [{}])[0]
    sc = c.get("securityContext", {})
    expect(sc.get("allowPrivilegeEscalation") is False and sc.get("capabilities", {}).get("drop") == ["ALL"]
           and sc.get("readOnlyRootFilesystem") is True, f"container securityContext not restricted: {sc}")
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = c.get(probe, {}).get("httpGet", {})
        expect(get.get("path") == path and get.get("scheme") == "HTTPS", f"{probe} must be HTTPS {path}: {get}")
    expect(c.get("resources", {}).get("requests"), "resource requests")
    args = c.get("args", [])
    expect(args[:1] == ["serve"] and any(a.startswith("--tls-cert-file=") for a in args)
           and any(a.startswith("--policy=") for a in args), f"serve args: {args}")
    expect(f"--shutdown-delay={shutdown_delay}" in args, f"--shutdown-delay={shutdown_delay} in serve args: {args}")
    expect(pod.get("terminationGracePeriodSeconds", 0) > shutdown_delay, "terminationGracePeriodSeconds > shutdownDelay")
    pdb = one(docs, "PodDisruptionBudget")
    expect(pdb.get("spec", {}).get("minAvailable") == 1, "PDB minAvailable 1")
    return dep


def is_hook(d):
    return "helm.sh/hook" in d.get("metadata", {}).get("annotations", {})


def policy_of(docs):
    """The policy the server mounts; the policy-check hook, when rendered, must check the same."""
    cms = [d for d in by_kind(docs, "ConfigMap") if "policy.yaml" in d.get("data", {}) and not is_hook(d)]
    expect(len(cms) == 1, "one ConfigMap with policy.yaml")
    policy = yaml.safe_load(cms[0]["data"]["policy.yaml"]) if cms else {}
    hooks = [d for d in by_kind(docs, "ConfigMap") if "policy.yaml" in d.get("data", {}) and is_hook(d)]
    for h in hooks:
        expect(yaml.safe_load(h["data"]["policy.yaml"]) == policy, "the policy-check hook checks another policy")
    return policy


def check_policy_hook(docs):
    jobs = [d for d in by_kind(docs, "Job") if is_hook(d)]
    expect(len(jobs) == 1, f"one policy-check hook Job, found {len(jobs)}")
    if not jobs:
        return
    ann = jobs[0]["metadata"]["annotations"]
    expect(ann.get("helm.sh/hook") == "pre-install,pre-upgrade", f"hook phases: {ann}")
    spec = jobs[0]["spec"]
    expect(spec.get("backoffLimit") == 0, "policy check is not retried")
    c = spec["template"]["spec"]["containers"][0]
    expect(c.get("args", [])[:2] == ["policy", "lint"], f"hook runs policy lint: {c.get('args')}")
    cm = [d for d in by_kind(docs, "ConfigMap") if is_hook(d)]
    expect(len(cm) == 1 and int(cm[0]["metadata"]["annotations"]["helm.sh/hook-weight"])
           < int(ann.get("helm.sh/hook-weight", 0)), "the hook's ConfigMap is created before its Job")


def pem_of(b64):
    try:
        return base64.b64decode(b64).decode()
    except Exception as e:  # noqa: BLE001 - any decoding error is a failed expectation
        return f"undecodable: {e}"


def main():
    case, path = sys.argv[1], sys.argv[2]
    docs = load(path)
    ns = "gopreflight"
    if case == "policy":
        print(yaml.safe_dump(policy_of(docs)))
        return
    if case == "same":
        return same(docs, load(sys.argv[3]))

    kinds = sorted({d["kind"] for d in docs})
    vwc, hook = validating(docs)
    excluded = check_validating_common(hook, ns)
    check_deployment(docs, shutdown_delay=8 if case == "everything" else 5)
    policy = policy_of(docs)
    expect(policy.get("apiVersion") == "gopreflight.io/v1alpha1" and policy.get("kind") == "Policy",
           "policy apiVersion/kind")
    opt_in = selector_exprs(hook.get("namespaceSelector", {})).get("gopreflight.io/enforce")
    secrets = by_kind(docs, "Secret")
    ca = hook.get("clientConfig", {}).get("caBundle")

    if case in ("default", "mutation", "custom-policy", "secret", "everything", "openshift", "rotation-prepare"):
        expect(not by_kind(docs, "Certificate"), "no Certificate outside cert-manager mode")
    if case == "default":
        expect(kinds == ["ConfigMap", "Deployment", "Job", "PodDisruptionBudget", "Secret", "Service",
                         "ServiceAccount", "ValidatingWebhookConfiguration"], f"kinds {kinds}")
        check_policy_hook(docs)
        expect(excluded == ("NotIn", ("gopreflight", "kube-system") + DEFAULT_EXCLUDED), f"default exclusions {excluded}")
        expect("objectSelector" not in hook and "matchConditions" not in hook, "no selectors by default")
        pod = check_deployment(docs)["spec"]["template"]["spec"]
        expect(pod["securityContext"].get("runAsUser") == 65532 and not pod.get("hostNetwork"),
               "fixed ids, Pod network by default")
        expect(opt_in == ("In", ("true",)), f"default must be opt-in by label: {opt_in}")
        expect(hook.get("failurePolicy") == "Fail" and hook.get("timeoutSeconds") == 5, "failurePolicy/timeout defaults")
        expect(len(secrets) == 1 and secrets[0].get("type") == "kubernetes.io/tls", "one kubernetes.io/tls Secret")
        if secrets:
            data = secrets[0]["data"]
            expect(data.get("ca.crt") == ca, "caBundle must be the Secret's ca.crt")
            for k in ("tls.crt", "tls.key", "ca.crt"):
                expect("-----BEGIN" in pem_of(data.get(k, "")), f"Secret {k} is not PEM")
        expect(policy.get("podSecurity", {}).get("level") == "restricted", "default policy: restricted")
        expect("injection" not in policy, "default policy has no injection section")
        expect(not by_kind(docs, "MutatingWebhookConfiguration"), "no mutating webhook by default")
    elif case in ("cert-manager", "cert-manager-issuer"):
        expect(ca is None, "cert-manager mode must leave caBundle to the cainjector")
        expect(not secrets, "cert-manager mode renders no Secret")
        ann = vwc.get("metadata", {}).get("annotations", {})
        expect(ann.get("cert-manager.io/inject-ca-from") == f"{ns}/gopreflight-serving",
               f"inject-ca-from annotation: {ann}")
        issuers = {d["metadata"]["name"]: d for d in by_kind(docs, "Issuer")}
        certs = {d["metadata"]["name"]: d for d in by_kind(docs, "Certificate")}
        cert = certs.get("gopreflight-serving", {})
        expect(cert.get("spec", {}).get("secretName") == "gopreflight-tls", "Certificate secretName")
        expect("gopreflight.gopreflight.svc" in cert.get("spec", {}).get("dnsNames", []), "Certificate dnsNames")
        if case == "cert-manager":
            # self-signed Issuer -> CA Certificate (key kept) -> CA Issuer -> serving Certificate, so
            # renewing the serving certificate never changes the injected caBundle.
            expect(set(issuers) == {"gopreflight-selfsigned", "gopreflight-ca"}, f"Issuers {sorted(issuers)}")
            expect(set(certs) == {"gopreflight-ca", "gopreflight-serving"}, f"Certificates {sorted(certs)}")
            ca = certs.get("gopreflight-ca", {}).get("spec", {})
            expect(ca.get("isCA") is True and ca.get("privateKey", {}).get("rotationPolicy") == "Never"
                   and ca.get("issuerRef", {}).get("name") == "gopreflight-selfsigned", f"CA Certificate {ca}")
            expect(issuers.get("gopreflight-ca", {}).get("spec", {}).get("ca", {}).get("secretName") == "gopreflight-ca",
                   "CA Issuer uses the CA Certificate's Secret")
            expect(cert.get("spec", {}).get("issuerRef", {}).get("name") == "gopreflight-ca",
                   "serving Certificate signed by the chart's CA Issuer")
            expect(cert.get("spec", {}).get("duration") == "2160h", "duration from values")
        else:
            expect(not issuers, "no Issuer when issuerRef is given")
            expect(cert["spec"]["issuerRef"] == {"name": "corp-ca", "kind": "ClusterIssuer",
                                                 "group": "cert-manager.io"}, "issuerRef from values")
    elif case == "everything":
        dep = check_deployment(docs, shutdown_delay=8)
        pod = dep["spec"]["template"]["spec"]
        c = pod["containers"][0]
        expect(pod.get("hostNetwork") is True and pod.get("dnsPolicy") == "ClusterFirstWithHostNet", "hostNetwork")
        expect("--listen=0.0.0.0:9443" in c["args"] and c["ports"][0]["containerPort"] == 9443, "containerPort 9443")
        expect(not {"runAsUser", "runAsGroup", "fsGroup"} & set(pod["securityContext"]),
               f"openshift: no fixed ids in {pod['securityContext']}")
        expect(hook["clientConfig"]["service"]["port"] == 8443, "service.port in clientConfig")
        expect(hook.get("objectSelector", {}).get("matchExpressions", [{}])[0].get("key") == "gopreflight.io/skip",
               "objectSelector from values")
        expect([m["name"] for m in hook.get("matchConditions", [])] == ["not-system-users"], "matchConditions")
        expect(excluded == ("NotIn", ("gopreflight", "kube-system", "monitoring", "istio-system")), f"excluded {excluded}")
        expect(vwc["metadata"].get("annotations", {}).get("example.com/owner") == "platform-team", "annotations")
        expect(vwc["metadata"]["labels"].get("example.com/tier") == "admission", "labels")
        mwc = one(docs, "MutatingWebhookConfiguration")
        for h in mwc.get("webhooks", []):
            want = (["opted-in"] if h["name"] == "inject-pods.gopreflight.io" else []) + ["not-system-users"]
            expect([m["name"] for m in h.get("matchConditions", [])] == want, f"mutating matchConditions {h['name']}")
        expect(policy.get("injection", {}).get("setUserIds") is False, "openshift: injection.setUserIds false")
        sm = one(docs, "ServiceMonitor")
        ep = sm.get("spec", {}).get("endpoints", [{}])[0]
        expect(ep.get("scheme") == "https" and ep.get("port") == "https"
               and ep.get("tlsConfig", {}).get("ca", {}).get("secret", {}) == {"name": "gopreflight-tls", "key": "ca.crt"}
               and ep.get("tlsConfig", {}).get("serverName") == "gopreflight.gopreflight.svc", f"ServiceMonitor TLS {ep}")
        expect(sm["metadata"]["labels"].get("release") == "kube-prometheus-stack", "ServiceMonitor labels")
        pr = one(docs, "PrometheusRule")
        alerts = {r["alert"]: r for g in pr.get("spec", {}).get("groups", []) for r in g["rules"]}
        expect(set(alerts) == {"GopreflightWebhookDown", "GopreflightDenialsRising", "GopreflightCertificateExpiresSoon"},
               f"alerts {sorted(alerts)}")
        for a in alerts.values():
            expect('job="gopreflight",namespace="gopreflight"' in a["expr"], f"{a['alert']} selects this release: {a['expr']}")
        expect('decision="denied"' in alerts.get("GopreflightDenialsRising", {}).get("expr", ""),
               "denials alert counts denied reviews")
        expect("1209600" in alerts.get("GopreflightCertificateExpiresSoon", {}).get("expr", ""), "14 days in seconds")
        dash = [d for d in by_kind(docs, "ConfigMap") if "gopreflight.json" in d.get("data", {})]
        if expect(len(dash) == 1, "dashboard ConfigMap"):
            import json
            board = json.loads(dash[0]["data"]["gopreflight.json"])
            expect(dash[0]["metadata"]["labels"].get("grafana_dashboard") == "1", "dashboard sidecar label")
            exprs = " ".join(t["expr"] for p in board["panels"] for t in p["targets"])
            for metric in ("gopreflight_webhook_reviews_total", "gopreflight_webhook_ready",
                           "gopreflight_webhook_certificate_not_after_seconds", "gopreflight_webhook_review_duration_seconds_bucket"):
                expect(metric in exprs, f"dashboard shows {metric}")
        np_ = one(docs, "NetworkPolicy")
        ing = np_.get("spec", {}).get("ingress", [{}])
        expect(ing[0].get("ports") == [{"port": 9443, "protocol": "TCP"}] and ing[0].get("from") == [{"ipBlock": {"cidr": "10.0.0.0/8"}}]
               and np_["spec"].get("egress") == [] and "Egress" in np_["spec"].get("policyTypes", []),
               f"NetworkPolicy {np_.get('spec')}")
    elif case == "openshift":
        pod = check_deployment(docs)["spec"]["template"]["spec"]
        expect(not {"runAsUser", "runAsGroup", "fsGroup"} & set(pod["securityContext"])
               and pod["securityContext"].get("runAsNonRoot") is True, f"openshift Pod ids {pod['securityContext']}")
        expect(policy.get("injection", {}).get("setUserIds") is False, "openshift: injection.setUserIds false")
        jobs = [d for d in by_kind(docs, "Job") if is_hook(d)]
        expect(jobs and "runAsUser" not in jobs[0]["spec"]["template"]["spec"].get("securityContext", {}),
               "openshift: no fixed ids in the policy-check Job")
    elif case == "rotation-prepare":
        by_name = {d["metadata"]["name"]: d for d in secrets}
        expect(set(by_name) == {"gopreflight-tls", "gopreflight-tls-next"}, f"Secrets {sorted(by_name)}")
        if len(by_name) == 2:
            cur, nxt = by_name["gopreflight-tls"]["data"], by_name["gopreflight-tls-next"]["data"]
            expect(nxt["previous-ca.crt"] == cur["ca.crt"] and nxt["ca.crt"] != cur["ca.crt"], "next pair has a new CA")
            bundle = pem_of(ca or "")
            expect(bundle.count("BEGIN CERTIFICATE") == 2 and pem_of(cur["ca.crt"]) in bundle
                   and pem_of(nxt["ca.crt"]) in bundle, "prepare: caBundle trusts the old and the new CA")
    elif case == "mutation":
        mwc = one(docs, "MutatingWebhookConfiguration")
        hooks = {h["name"]: h for h in mwc.get("webhooks", [])}
        expect(set(hooks) == {"inject-pods.gopreflight.io", "inject-namespaces.gopreflight.io"},
               f"mutating webhooks {sorted(hooks)}")
        for h in hooks.values():
            expect(h["rules"] == [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                                   "resources": ["pods"], "scope": "Namespaced"}], f"mutating rules {h['rules']}")
            expect(h.get("failurePolicy") == "Fail" and h.get("sideEffects") == "None"
                   and h.get("reinvocationPolicy") == "IfNeeded", f"mutating settings {h.get('name')}")
            expect(h["clientConfig"].get("caBundle") == ca and h["clientConfig"]["service"]["path"] == "/mutate",
                   "mutating clientConfig")
        # The opt-in is a label or an annotation (the engine's decision takes either), so the
        # webhook selects with a CEL condition over both, never a label-only objectSelector.
        opt = hooks.get("inject-pods.gopreflight.io", {})
        cond = [m for m in opt.get("matchConditions", []) if m["name"] == "opted-in"]
        expect("objectSelector" not in opt and len(cond) == 1
               and "object.metadata.labels" in cond[0]["expression"]
               and "object.metadata.annotations" in cond[0]["expression"],
               "inject-pods selects label or annotation opt-in with a matchCondition")
        nsw = hooks.get("inject-namespaces.gopreflight.io", {})
        expect(selector_exprs(nsw.get("namespaceSelector", {})).get("kubernetes.io/metadata.name")
               == ("In", ("shop", "payments")), "injection namespaces, minus the excluded kube-system")
        expect(excluded == ("NotIn", ("gopreflight", "kube-system", "monitoring")), f"excluded {excluded}")
        expect(hook.get("failurePolicy") == "Ignore" and hook.get("timeoutSeconds") == 3, "webhook values")
        inj = policy.get("injection", {})
        expect(inj.get("enabled") is True and inj.get("namespaces") == ["shop", "payments", "kube-system"]
               and inj.get("setGoEnv") is True and inj.get("args") == ["--output=text"]
               and inj.get("image") == "ghcr.io/gopreflight/gopreflight:0.1.0"
               and inj.get("resources", {}).get("limits", {}).get("memory") == "32Mi",
               f"policy injection section: {inj}")
    elif case == "custom-policy":
        expect(opt_in is None, "clusterWide: no opt-in label expression")
        expect(policy.get("podSecurity") == {"level": "baseline", "version": "v1.30", "mode": "warn"},
               f"podSecurity from values: {policy.get('podSecurity')}")
        expect({"name": "net.ipv4.tcp_keepalive_time", "max": 600, "mode": "audit"} in policy.get("requiredSysctls", []),
               "requiredSysctls from values")
        aff = docs and check_deployment(docs)["spec"]["template"]["spec"]["affinity"]["podAntiAffinity"]
        expect("requiredDuringSchedulingIgnoredDuringExecution" in aff, "hard anti-affinity")
    elif case == "secret":
        expect(not secrets, "secret mode renders no Secret")
        dep = check_deployment(docs)
        vols = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
        expect(vols["tls"]["secret"]["secretName"] == "corp-webhook-tls", "existing Secret mounted")
        expect("-----BEGIN CERTIFICATE-----" in pem_of(ca or ""), "caBundle from values")
    else:
        expect(False, f"unknown case {case}")


def same(chart, plain):
    """The plain manifests must match the chart's default rendering where it matters."""
    def pick(docs, kind):
        found = by_kind(docs, kind)
        return found[0] if found else {}
    _, ch = validating(chart)
    _, pl = validating(plain)
    for key in ("name", "rules", "namespaceSelector", "failurePolicy", "timeoutSeconds", "sideEffects",
                "admissionReviewVersions", "matchPolicy"):
        expect(ch.get(key) == pl.get(key), f"validating webhook {key}: chart {ch.get(key)} != deploy {pl.get(key)}")
    expect(ch["clientConfig"]["service"] == pl["clientConfig"]["service"], "webhook service reference")
    cd, pd = pick(chart, "Deployment"), pick(plain, "Deployment")
    cs, ps = cd["spec"]["template"]["spec"], pd["spec"]["template"]["spec"]
    for key in ("securityContext", "affinity", "volumes", "automountServiceAccountToken",
                "terminationGracePeriodSeconds", "serviceAccountName"):
        expect(cs.get(key) == ps.get(key), f"Pod spec {key}: chart {cs.get(key)} != deploy {ps.get(key)}")
    cc, pc = cs["containers"][0], ps["containers"][0]
    for key in ("args", "ports", "livenessProbe", "readinessProbe", "resources", "securityContext", "volumeMounts"):
        expect(cc.get(key) == pc.get(key), f"container {key}: chart {cc.get(key)} != deploy {pc.get(key)}")
    expect(cc["image"] == pc["image"], f"image {cc['image']} != {pc['image']}")
    for key in ("replicas", "strategy"):
        expect(cd["spec"].get(key) == pd["spec"].get(key), f"Deployment {key}")
    expect(pick(chart, "Service")["spec"]["ports"] == pick(plain, "Service")["spec"]["ports"], "Service ports")
    expect(pick(chart, "PodDisruptionBudget")["spec"]["minAvailable"]
           == pick(plain, "PodDisruptionBudget")["spec"]["minAvailable"], "PDB")
    expect(policy_of(chart) == policy_of(plain), "policy of deploy/base/policy.yaml != the chart's default policy")


if __name__ == "__main__":
    main()
    for p in problems:
        print(f"check_render {sys.argv[1]}: {p}")
    sys.exit(1 if problems else 0)
