{{/* Names, labels and selectors shared by the templates. */}}
{{- define "gopreflight.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "gopreflight.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "gopreflight.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "gopreflight.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "gopreflight.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gopreflight.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gopreflight.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gopreflight.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "gopreflight.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The Secret holding tls.crt and tls.key for the server. */}}
{{- define "gopreflight.tlsSecretName" -}}
{{- if eq .Values.tls.mode "secret" }}
{{- required "tls.existingSecret is required when tls.mode is secret" .Values.tls.existingSecret }}
{{- else }}
{{- printf "%s-tls" (include "gopreflight.fullname" .) }}
{{- end }}
{{- end }}

{{/* DNS name the apiserver verifies: <service>.<namespace>.svc */}}
{{- define "gopreflight.serviceDNS" -}}
{{- printf "%s.%s.svc" (include "gopreflight.fullname" .) .Release.Namespace }}
{{- end }}

{{/* Namespaces never sent to the webhook: its own (so it can always restart), kube-system, and
     webhook.excludeNamespaces. */}}
{{- define "gopreflight.excludedNamespaces" -}}
{{- $ns := list .Release.Namespace "kube-system" }}
{{- range .Values.webhook.excludeNamespaces }}{{ $ns = append $ns . }}{{ end }}
{{- toJson (uniq $ns) }}
{{- end }}

{{/* namespaceSelector of the validating webhook: opt-in label, or cluster-wide. */}}
{{- define "gopreflight.namespaceSelector" -}}
matchExpressions:
  - key: kubernetes.io/metadata.name
    operator: NotIn
    values: {{ include "gopreflight.excludedNamespaces" . }}
{{- if not .Values.webhook.clusterWide }}
  - key: {{ .Values.webhook.optInLabel }}
    operator: In
    values: ["true"]
{{- end }}
{{- end }}

{{/* The policy file: values.policy plus the injection section. setUserIds is written only when
     false (the policy's default is true). */}}
{{- define "gopreflight.policy" -}}
{{- $p := deepCopy (default dict .Values.policy) }}
{{- if .Values.injection.enabled }}
{{- $inj := dict "enabled" true "namespaces" .Values.injection.namespaces "image" (default (include "gopreflight.image" .) .Values.injection.image) "args" .Values.injection.args "resources" .Values.injection.resources "setGoEnv" .Values.injection.setGoEnv }}
{{- if or .Values.openshift (not .Values.injection.setUserIds) }}
{{- $_ := set $inj "setUserIds" false }}
{{- end }}
{{- $_ := set $p "injection" $inj }}
{{- end }}
{{- $doc := merge (dict "apiVersion" "gopreflight.io/v1alpha1" "kind" "Policy") $p }}
{{- toYaml $doc }}
{{- end }}

{{/* The webhook Pod's securityContext: values.podSecurityContext, without fixed ids on OpenShift. */}}
{{- define "gopreflight.podSecurityContext" -}}
{{- $sc := deepCopy .Values.podSecurityContext }}
{{- if .Values.openshift }}
{{- $sc = omit $sc "runAsUser" "runAsGroup" "fsGroup" }}
{{- end }}
{{- toYaml $sc }}
{{- end }}

{{/* The clientConfig of every webhook: the Service, the path given, and the caBundle. */}}
{{- define "gopreflight.clientConfig" -}}
service:
  name: {{ include "gopreflight.fullname" .root }}
  namespace: {{ .root.Release.Namespace }}
  path: {{ .path }}
  port: {{ .root.Values.service.port }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/* matchConditions of every webhook, when set. */}}
{{- define "gopreflight.matchConditions" -}}
{{- with .Values.webhook.matchConditions }}
matchConditions:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Labels and annotations of the webhook configurations (cert-manager's cainjector annotation
     in mode cert-manager). */}}
{{- define "gopreflight.webhookMetadata" -}}
name: {{ include "gopreflight.fullname" . }}
labels:
  {{- include "gopreflight.labels" . | nindent 2 }}
  {{- with .Values.webhook.labels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- $ann := deepCopy .Values.webhook.annotations }}
{{- if eq .Values.tls.mode "cert-manager" }}
{{- $_ := set $ann "cert-manager.io/inject-ca-from" (printf "%s/%s-serving" .Release.Namespace (include "gopreflight.fullname" .)) }}
{{- end }}
{{- with $ann }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{- /* The tolerations of the chart's own Pods (webhook, policy check), as a YAML list:
  .Values.tolerations, plus node-report's taint when nodeReport.manageTaint is on. These Pods are
  not the Go services the taint keeps off failing nodes, and `helm upgrade` is how a threshold
  that tainted every node gets fixed: its pre-upgrade policy-check Job must still be scheduled
  (the real-node test found the upgrade stuck on that Job's Pending Pod). */}}
{{- define "gopreflight.tolerations" -}}
{{- $t := concat (.Values.tolerations | default list) list -}}
{{- if and .Values.nodeReport.enabled .Values.nodeReport.manageTaint -}}
{{- $t = append $t (dict "key" "gopreflight.io/not-ready" "operator" "Exists" "effect" "NoSchedule") -}}
{{- end -}}
{{- toYaml $t -}}
{{- end -}}
