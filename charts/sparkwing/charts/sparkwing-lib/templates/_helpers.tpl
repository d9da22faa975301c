{{/*
Named templates shared by every sparkwing chart. Each chart depends on this library (a symlink under its
charts/, so a component chart also installs alone); the component is the calling chart's name
(.Chart.Name: controller, cache, logs, web, runner, dind, registry; sparkwing for the umbrella).
*/}}

{{/* Default in-cluster service names: the seed's DNS names. global.serviceNames overrides them. */}}
{{- define "sparkwing.defaultNames" -}}
controller: sparkwing-controller
cache: sparkwing-cache
logs: sparkwing-logs
web: sparkwing-web
runner: sparkwing-runner
dind: dind
registry: registry
{{- end -}}

{{/* Service name of a component: (list $ "controller"). */}}
{{- define "sparkwing.serviceName" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- $names := (($ctx.Values.global).serviceNames) | default dict -}}
{{- get $names $component | default (get (include "sparkwing.defaultNames" $ctx | fromYaml) $component) -}}
{{- end -}}

{{/* This chart's own name (Service, Deployment, ServiceAccount, label). */}}
{{- define "sparkwing.name" -}}
{{- include "sparkwing.serviceName" (list . .Chart.Name) -}}
{{- end -}}

{{/* Namespace the objects of this chart live in. */}}
{{- define "sparkwing.namespace" -}}
{{- .Values.namespaceOverride | default .Release.Namespace -}}
{{- end -}}

{{- define "sparkwing.clusterDomain" -}}
{{- (.Values.global).clusterDomain | default "cluster.local" -}}
{{- end -}}

{{/* In-cluster base URL of a sparkwing peer (controller, cache, logs on port 80; web on 3100): (list $ "logs"). */}}
{{- define "sparkwing.peerUrl" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- $host := printf "%s.%s.svc.%s" (include "sparkwing.serviceName" .) $ctx.Release.Namespace (include "sparkwing.clusterDomain" $ctx) -}}
{{- if eq $component "web" -}}
http://{{ $host }}:3100
{{- else if eq $component "dind" -}}
tcp://{{ $host }}:2375
{{- else -}}
http://{{ $host }}
{{- end -}}
{{- end -}}

{{/* Host:port of the in-cluster registry (its own namespace, default `registry`). */}}
{{- define "sparkwing.registryHost" -}}
{{- $ns := (.Values.global).registryNamespace | default .Release.Namespace -}}
{{- printf "%s.%s.svc.%s:5000" (include "sparkwing.serviceName" (list . "registry")) $ns (include "sparkwing.clusterDomain" .) -}}
{{- end -}}

{{/* Pod labels NetworkPolicies select on; the dispatcher's runner Jobs carry the same name label. */}}
{{- define "sparkwing.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sparkwing.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sparkwing.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "sparkwing.selectorLabels" . }}
app.kubernetes.io/component: {{ .Chart.Name }}
app.kubernetes.io/part-of: sparkwing
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* registry/repository:tag with the global registry and tag as fallbacks. */}}
{{- define "sparkwing.image" -}}
{{- $global := ((.Values.global).image) | default dict -}}
{{- $registry := .Values.image.registry | default $global.registry -}}
{{- $tag := .Values.image.tag | default $global.tag | default .Chart.AppVersion -}}
{{- if $registry -}}{{ $registry }}/{{- end -}}{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}

{{- define "sparkwing.pullPolicy" -}}
{{- .Values.image.pullPolicy | default (((.Values.global).image).pullPolicy) | default "IfNotPresent" -}}
{{- end -}}

{{- define "sparkwing.pullSecrets" -}}
{{- $secrets := ((.Values.global).image).pullSecrets | default list -}}
{{- if $secrets -}}
imagePullSecrets:
{{- range $secrets }}
  - name: {{ . }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Whether this chart renders its NetworkPolicy (the chart's own switch wins over the global one). */}}
{{- define "sparkwing.networkPolicyEnabled" -}}
{{- $own := (.Values.networkPolicy).enabled -}}
{{- if kindIs "bool" $own -}}{{ $own }}{{- else -}}{{ (.Values.global).networkPolicy.enabled | default false }}{{- end -}}
{{- end -}}

{{/* NetworkPolicy peer selecting the pods of a sparkwing component in the release namespace. */}}
{{- define "sparkwing.peerPods" -}}
{{- $ctx := index . 0 -}}
- podSelector:
    matchLabels:
      app.kubernetes.io/name: {{ include "sparkwing.serviceName" . }}
{{- end -}}

{{/*
A generated secret value that survives upgrades: reuses the value already stored in the Secret
(lookup) and only generates a new random one on first install. (dict "ctx" $ "name" "secret" "key" "K").
*/}}
{{- define "sparkwing.secretValue" -}}
{{- $existing := lookup "v1" "Secret" (include "sparkwing.namespace" .ctx) .name -}}
{{- if and $existing $existing.data (hasKey $existing.data .key) -}}
{{- index $existing.data .key -}}
{{- else -}}
{{- randAlphaNum (.length | default 48) | b64enc -}}
{{- end -}}
{{- end -}}

{{/* Name of the Secret holding SPARKWING_SIGNING_KEY and SPARKWING_RUNNER_TOKEN, shared by controller, logs, cache and runners. */}}
{{- define "sparkwing.sharedSecretName" -}}
{{- $shared := ((.Values.global).sharedSecret) | default dict -}}
{{- $shared.existingSecret | default $shared.name | default "sparkwing-shared" -}}
{{- end -}}

{{/* The shared Secret, generated (stable across upgrades) unless an existing one is named. */}}
{{- define "sparkwing.sharedSecretManifest" -}}
{{- $shared := ((.Values.global).sharedSecret) | default dict -}}
{{- if and $shared.create (not $shared.existingSecret) }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "sparkwing.sharedSecretName" . }}
  namespace: {{ .Release.Namespace }}
  labels:
    app.kubernetes.io/part-of: sparkwing
    app.kubernetes.io/managed-by: {{ .Release.Service }}
    app.kubernetes.io/instance: {{ .Release.Name }}
  annotations:
    helm.sh/resource-policy: keep
type: Opaque
data:
  SPARKWING_SIGNING_KEY: {{ include "sparkwing.secretValue" (dict "ctx" . "name" (include "sparkwing.sharedSecretName" .) "key" "SPARKWING_SIGNING_KEY") }}
  SPARKWING_RUNNER_TOKEN: {{ include "sparkwing.secretValue" (dict "ctx" . "name" (include "sparkwing.sharedSecretName" .) "key" "SPARKWING_RUNNER_TOKEN") }}
{{- end }}
{{- end -}}

{{/* ServiceMonitor scraping /metrics on the `http` port (Prometheus Operator). */}}
{{- define "sparkwing.serviceMonitor" -}}
{{- if .Values.serviceMonitor.enabled }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "sparkwing.name" . }}
  namespace: {{ include "sparkwing.namespace" . }}
  labels:
    {{- include "sparkwing.labels" . | nindent 4 }}
    {{- with .Values.serviceMonitor.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  selector:
    matchLabels:
      {{- include "sparkwing.selectorLabels" . | nindent 6 }}
  namespaceSelector:
    matchNames:
      - {{ include "sparkwing.namespace" . }}
  endpoints:
    - port: http
      path: /metrics
      interval: {{ .Values.serviceMonitor.interval }}
      scrapeTimeout: {{ .Values.serviceMonitor.scrapeTimeout }}
{{- end }}
{{- end -}}

{{/* Extra NetworkPolicy rule letting Prometheus scrape the metrics port when a ServiceMonitor is on. */}}
{{- define "sparkwing.scrapeRule" -}}
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

{{/* Ingress routing .Values.ingress.paths on .Values.ingress.host to this chart's Service port `http`. */}}
{{- define "sparkwing.ingress" -}}
{{- if .Values.ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ include "sparkwing.name" . }}
  namespace: {{ include "sparkwing.namespace" . }}
  labels:
    {{- include "sparkwing.labels" . | nindent 4 }}
  {{- with .Values.ingress.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .Values.ingress.className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- with .Values.ingress.tls }}
  tls:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          {{- range .Values.ingress.paths }}
          - path: {{ . }}
            pathType: Prefix
            backend:
              service:
                name: {{ include "sparkwing.name" $ }}
                port:
                  name: http
          {{- end }}
{{- end }}
{{- end -}}

{{/* NetworkPolicy rule admitting traffic from outside the cluster (through the Ingress) when this chart's Ingress is on. */}}
{{- define "sparkwing.ingressRule" -}}
{{- if .Values.ingress.enabled }}
# External: CLIs outside the cluster, through the ingress controller.
- from:
    - ipBlock:
        cidr: 0.0.0.0/0
  ports:
    - protocol: TCP
      port: {{ .Values.containerPort }}
{{- end }}
{{- end -}}
