{{/* Names ------------------------------------------------------------------------------------- */}}

{{- define "assay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "<release>-assay", or the release name when it already contains the chart name. */}}
{{- define "assay.fullname" -}}
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

{{/*
Name of a component's objects: (dict "ctx" $ "component" "generation") -> "<fullname>-generation". The fullname is
shortened, never the component, so long release names cannot make two names collide. "max" (default 63):
StatefulSets use 52, as their pods carry a controller-revision-hash label of <name>-<10 characters>.
*/}}
{{- define "assay.componentName" -}}
{{- $max := int (default 63 .max) }}
{{- $prefix := include "assay.fullname" .ctx | trunc (int (sub $max (add1 (len .component)))) | trimSuffix "-" }}
{{- printf "%s-%s" $prefix .component }}
{{- end }}

{{- define "assay.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "assay.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels ------------------------------------------------------------------------------------ */}}

{{/* (dict "ctx" $ "component" "generation") */}}
{{- define "assay.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .ctx.Chart.Name .ctx.Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "assay.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: assay
{{- end }}

{{- define "assay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "assay.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* The release's own pods, whatever their component. */}}
{{- define "assay.releaseLabels" -}}
app.kubernetes.io/name: {{ include "assay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Images ------------------------------------------------------------------------------------ */}}

{{/* <repository>:<tag>, or <repository>:<tag>@<digest> when a digest pins it. (dict "repository" r "tag" t "digest" d) */}}
{{- define "assay.imageRef" -}}
{{- printf "%s:%s" .repository .tag }}{{ with .digest }}@{{ . }}{{ end }}
{{- end }}

{{/* (dict "ctx" $ "gpu" true|false): the CPU image, or the CUDA image for GPU pods. */}}
{{- define "assay.image" -}}
{{- $image := .ctx.Values.image }}
{{- $tag := default .ctx.Chart.AppVersion $image.tag }}
{{- $digest := $image.digest }}
{{- if .gpu }}
{{- $tag = default (printf "%s-cuda" $tag) $image.cudaTag }}
{{- $digest = $image.cudaDigest }}
{{- end }}
{{- include "assay.imageRef" (dict "repository" $image.repository "tag" $tag "digest" $digest) }}
{{- end }}

{{/* Configuration ----------------------------------------------------------------------------- */}}

{{/* Environment variable of a service's HTTP port: guide-training -> ASSAY_GUIDE_TRAINING_PORT. */}}
{{- define "assay.portVar" -}}
{{- printf "ASSAY_%s_PORT" (. | upper | replace "-" "_") }}
{{- end }}

{{/* An env value as a string; whole numbers parsed from YAML (float64 in helm) print without an exponent. */}}
{{- define "assay.envValue" -}}
{{- if and (kindIs "float64" .) (eq (float64 (int64 .)) .) }}
{{- int64 . | toString }}
{{- else }}
{{- toString . }}
{{- end }}
{{- end }}

{{- define "assay.natsUrl" -}}
{{- if .Values.nats.deploy }}
{{- printf "nats://%s:4222" (include "assay.componentName" (dict "ctx" . "component" "nats")) }}
{{- else }}
{{- required "nats.url is required when nats.deploy=false (an existing NATS with JetStream)" .Values.nats.url }}
{{- end }}
{{- end }}

{{- define "assay.s3Endpoint" -}}
{{- if .Values.minio.deploy }}
{{- printf "http://%s:9000" (include "assay.componentName" (dict "ctx" . "component" "minio")) }}
{{- else }}
{{- required "minio.endpoint is required when minio.deploy=false (an existing MinIO or S3 endpoint)" .Values.minio.endpoint }}
{{- end }}
{{- end }}

{{/* Variables the chart itself puts in the ConfigMap; config and env may not set them. */}}
{{- define "assay.managedEnv" -}}
NATS_URL S3_ENDPOINT S3_BUCKET S3_REGION ASSAY_HOST ASSAY_DATA_DIR ASSAY_ROLE ASSAY_JOBS_REPLICAS OTEL_EXPORTER_OTLP_ENDPOINT OTEL_RESOURCE_ATTRIBUTES PERSPECTIVE_API_URL
{{- end }}

{{/* Variables that only ever come from Secrets. */}}
{{- define "assay.secretEnvNames" -}}
ASSAY_API_KEYS ASSAY_SIGNING_KEY S3_ACCESS_KEY S3_SECRET_KEY NATS_USER NATS_PASSWORD NATS_TOKEN PERSPECTIVE_API_KEY
{{- end }}

{{/* Fails rendering when a values map of env vars (dict "env" map "where" "config") sets a secret or managed name. */}}
{{- define "assay.checkEnv" -}}
{{- $secret := splitList " " (include "assay.secretEnvNames" .ctx) }}
{{- $managed := splitList " " (include "assay.managedEnv" .ctx) }}
{{- range $name, $_ := .env }}
{{- if has $name $secret }}
{{- fail (printf "%s.%s: %s is a secret; set it through apiKeys, signing, minio.auth, nats.auth or perspective (existingSecret or value), never in plain config" $.where $name $name) }}
{{- end }}
{{- if has $name $managed }}
{{- fail (printf "%s.%s: %s is set by the chart; use the nats, minio, otel, perspective or services values instead" $.where $name $name) }}
{{- end }}
{{- end }}
{{- end }}


{{/* JetStream and KEDA ---------------------------------------------------------------------- */}}

{{/* The work-queue stream of jobs (shared/messaging jobNames: <NAMESPACE>_JOBS); ASSAY_JOBS_NAMESPACE is the older name. */}}
{{- define "assay.jobsStream" -}}
{{- printf "%s_JOBS" (upper (toString (default (default "assay" .Values.config.ASSAY_JOBS_NAMESPACE) .Values.config.ASSAY_NAMESPACE))) }}
{{- end }}

{{/* host:port of the NATS monitoring endpoint KEDA reads consumer lag from. */}}
{{- define "assay.natsMonitoringEndpoint" -}}
{{- if .Values.scaling.keda.natsMonitoringEndpoint }}
{{- .Values.scaling.keda.natsMonitoringEndpoint }}
{{- else if .Values.nats.deploy }}
{{- printf "%s.%s.svc:8222" (include "assay.componentName" (dict "ctx" . "component" "nats-headless")) .Release.Namespace }}
{{- else }}
{{- fail "scaling: KEDA reads job lag from the NATS monitoring port; with nats.deploy=false set scaling.keda.natsMonitoringEndpoint (host:port of your NATS's port 8222), or scaling.mode=hpa" }}
{{- end }}
{{- end }}

{{- define "assay.jobsReplicas" -}}
{{- $replicas := int .Values.nats.jobsReplicas }}
{{- if and .Values.nats.deploy (ne $replicas 1) }}
{{- fail (printf "nats.jobsReplicas=%d: the deployed NATS is a single server, where JetStream keeps one replica; run a NATS cluster (nats.deploy=false) for more" $replicas) }}
{{- end }}
{{- $replicas }}
{{- end }}

{{/* The api Service of an enabled service, for ingress and httpRoute. (dict "ctx" $ "service" "gateway" "where" "ingress") */}}
{{- define "assay.apiServiceName" -}}
{{- $svc := get .ctx.Values.services .service }}
{{- if not (and $svc $svc.enabled) }}
{{- fail (printf "%s routes to services.%s, which is not enabled: enable it, or set %s.service to an enabled service" .where .service .where) }}
{{- end }}
{{- include "assay.componentName" (dict "ctx" .ctx "component" .service) }}
{{- end }}
