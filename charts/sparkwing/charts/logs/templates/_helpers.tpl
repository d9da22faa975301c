{{/*
Shared helpers of the sparkwing charts. Every subchart carries its own copy (prefixed with the
component name) so it renders when installed alone; the bodies are identical across charts.
*/}}

{{/* Default in-cluster service names: the seed's DNS names. global.serviceNames overrides them. */}}
{{- define "logs.defaultNames" -}}
controller: sparkwing-controller
cache: sparkwing-cache
logs: sparkwing-logs
web: sparkwing-web
runner: sparkwing-runner
dind: dind
registry: registry
{{- end -}}

{{/* Service name of a component: (list $ "controller"). */}}
{{- define "logs.serviceName" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- $names := (($ctx.Values.global).serviceNames) | default dict -}}
{{- get $names $component | default (get (include "logs.defaultNames" $ctx | fromYaml) $component) -}}
{{- end -}}

{{/* This chart's own name (Service, Deployment, ServiceAccount, label). */}}
{{- define "logs.name" -}}
{{- include "logs.serviceName" (list . "logs") -}}
{{- end -}}

{{/* Namespace the objects of this chart live in. */}}
{{- define "logs.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace -}}
{{- end -}}

{{- define "logs.clusterDomain" -}}
{{- (.Values.global).clusterDomain | default "cluster.local" -}}
{{- end -}}

{{/* In-cluster base URL of a sparkwing peer (controller, cache, logs on port 80; web on 3100): (list $ "logs"). */}}
{{- define "logs.peerUrl" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- $host := printf "%s.%s.svc.%s" (include "logs.serviceName" .) $ctx.Release.Namespace (include "logs.clusterDomain" $ctx) -}}
{{- if eq $component "web" -}}
http://{{ $host }}:3100
{{- else if eq $component "dind" -}}
tcp://{{ $host }}:2375
{{- else -}}
http://{{ $host }}
{{- end -}}
{{- end -}}

{{/* Host:port of the in-cluster registry (its own namespace, default `registry`). */}}
{{- define "logs.registryHost" -}}
{{- $ns := (.Values.global).registryNamespace | default .Release.Namespace -}}
{{- printf "%s.%s.svc.%s:5000" (include "logs.serviceName" (list . "registry")) $ns (include "logs.clusterDomain" .) -}}
{{- end -}}

{{/* Pod labels NetworkPolicies select on; the dispatcher's runner Jobs carry the same name label. */}}
{{- define "logs.selectorLabels" -}}
app.kubernetes.io/name: {{ include "logs.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "logs.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "logs.selectorLabels" . }}
app.kubernetes.io/component: logs
app.kubernetes.io/part-of: sparkwing
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* registry/repository:tag with the global registry and tag as fallbacks. */}}
{{- define "logs.image" -}}
{{- $global := ((.Values.global).image) | default dict -}}
{{- $registry := .Values.image.registry | default $global.registry -}}
{{- $tag := .Values.image.tag | default $global.tag | default .Chart.AppVersion -}}
{{- if $registry -}}{{ $registry }}/{{- end -}}{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}

{{- define "logs.pullPolicy" -}}
{{- .Values.image.pullPolicy | default (((.Values.global).image).pullPolicy) | default "IfNotPresent" -}}
{{- end -}}

{{- define "logs.pullSecrets" -}}
{{- $secrets := ((.Values.global).image).pullSecrets | default list -}}
{{- if $secrets -}}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Whether this chart renders its NetworkPolicy (the chart's own switch wins over the global one). */}}
{{- define "logs.networkPolicyEnabled" -}}
{{- $own := (.Values.networkPolicy).enabled -}}
{{- if kindIs "bool" $own -}}{{ $own }}{{- else -}}{{ (.Values.global).networkPolicy.enabled | default false }}{{- end -}}
{{- end -}}

{{/* NetworkPolicy peer selecting the pods of a sparkwing component in the release namespace. */}}
{{- define "logs.peerPods" -}}
{{- $ctx := index . 0 -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "logs.serviceName" . }}
{{- end -}}

{{/*
A generated secret value that survives upgrades: reuses the value already stored in the Secret
(lookup) and only generates a new random one on first install. (dict "ctx" $ "name" "secret" "key" "K").
*/}}
{{- define "logs.secretValue" -}}
{{- $existing := lookup "v1" "Secret" (include "logs.namespace" .ctx) .name -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum (.length | default 48) | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding SPARKWING_SIGNING_KEY and SPARKWING_RUNNER_TOKEN, shared by controller, logs, cache and runners. */}}
{{- define "logs.sharedSecretName" -}}
{{- $shared := ((.Values.global).sharedSecret) | default dict -}}
{{- $shared.existingSecret | default $shared.name | default "sparkwing-shared" -}}
{{- end -}}

{{/* The shared Secret, generated (stable across upgrades) unless an existing one is named. */}}
{{- define "logs.sharedSecretManifest" -}}
{{- $shared := ((.Values.global).sharedSecret) | default dict -}}
{{- if and $shared.create (not $shared.existingSecret) }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "logs.sharedSecretName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/part-of: sparkwing
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/instance: {{ .Release.Name }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  SPARKWING_SIGNING_KEY: {{ include "logs.secretValue" (dict "ctx" . "name" (include "logs.sharedSecretName" .) "key" "SPARKWING_SIGNING_KEY") }}
  SPARKWING_RUNNER_TOKEN: {{ include "logs.secretValue" (dict "ctx" . "name" (include "logs.sharedSecretName" .) "key" "SPARKWING_RUNNER_TOKEN") }}
{{- end }}
{{- end -}}

{{/* ServiceMonitor scraping /metrics on the `http` port (Prometheus Operator). */}}
{{- define "logs.serviceMonitor" -}}
{{- if .Values.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "logs.name" . }}
  namespace: {{ include "logs.namespace" . }}
  labels:
    {{- include "logs.labels" . | nindent 4 }}
    {{- with .Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "logs.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ include "logs.namespace" . }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end -}}

{{/* Extra NetworkPolicy rule letting Prometheus scrape the metrics port when a ServiceMonitor is on. */}}
{{- define "logs.scrapeRule" -}}
{{- $port := index . 1 -}}
{{- with index . 0 -}}
{{- if .Values.serviceMonitor.enabled }}
- from:
    - namespaceSelector:
        matchLabels:
          {{- toYaml .Values.serviceMonitor.prometheusNamespaceLabels | nindent 10 }}
  ports:
    - protocol: TCP
      port: {{ $port }}
{{- end }}
{{- end }}
{{- end -}}
