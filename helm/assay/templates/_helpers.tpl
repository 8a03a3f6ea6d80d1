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

{{/* Images ------------------------------------------------------------------------------------ */}}

{{/* (dict "ctx" $ "gpu" true|false): the CPU image, or the CUDA image for GPU pods. */}}
{{- define "assay.image" -}}
{{- $image := .ctx.Values.image }}
{{- $tag := default .ctx.Chart.AppVersion $image.tag }}
{{- if .gpu }}
{{- $tag = default (printf "%s-cuda" $tag) $image.cudaTag }}
{{- end }}
{{- printf "%s:%s" $image.repository $tag }}
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
NATS_URL S3_ENDPOINT S3_BUCKET S3_REGION ASSAY_HOST ASSAY_DATA_DIR OTEL_EXPORTER_OTLP_ENDPOINT OTEL_RESOURCE_ATTRIBUTES PERSPECTIVE_API_URL
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
{{- fail (printf "%s.%s: %s is set by the chart; use the nats, minio, otel or perspective values instead" $.where $name $name) }}
{{- end }}
{{- end }}
{{- end }}

{{/* Secrets ----------------------------------------------------------------------------------- */}}

{{/*
A value for the chart's Secret: the literal when given, else the value already in the release's Secret (so
generated credentials survive upgrades), else a random one. (dict "ctx" $ "key" "NATS_TOKEN" "value" "")
Letters only: a NATS token starting with a digit would be parsed as a number by nats-server.
*/}}
{{- define "assay.secretValue" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .ctx.Release.Namespace (include "assay.fullname" .ctx) }}
{{- $data := dict }}
{{- if $existing }}{{ if $existing.data }}{{ $data = $existing.data }}{{ end }}{{ end }}
{{- if hasKey $data .key }}
{{- index $data .key | b64dec }}
{{- else }}
{{- randAlpha 40 }}
{{- end }}
{{- end }}
{{- end }}

{{/*
secretKeyRef of one credential: the user's existing Secret when named, else the chart's Secret.
(dict "ctx" $ "existingSecret" "" "existingKey" "S3_ACCESS_KEY" "key" "S3_ACCESS_KEY")
*/}}
{{- define "assay.secretKeyRef" -}}
secretKeyRef:
  name: {{ default (include "assay.fullname" .ctx) .existingSecret }}
  key: {{ ternary .existingKey .key (not (empty .existingSecret)) }}
{{- end }}

{{/* Whether NATS credentials are used at all, and S3 credentials. */}}
{{- define "assay.natsAuth" -}}
{{- $type := .Values.nats.auth.type }}
{{- if not (has $type (list "none" "token" "userPassword")) }}
{{- fail (printf "nats.auth.type must be none, token or userPassword, got %q" $type) }}
{{- end }}
{{- $type }}
{{- end }}

{{/* env entries of every credential an Assay service reads (ASSAY_API_KEYS, ASSAY_SIGNING_KEY, S3, NATS, Perspective). */}}
{{- define "assay.secretEnv" -}}
{{- $v := .Values -}}
- name: ASSAY_API_KEYS
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.apiKeys.existingSecret "existingKey" $v.apiKeys.existingSecretKey "key" "ASSAY_API_KEYS") | nindent 4 }}
- name: ASSAY_SIGNING_KEY
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.signing.existingSecret "existingKey" $v.signing.existingSecretKey "key" "ASSAY_SIGNING_KEY") | nindent 4 }}
- name: S3_ACCESS_KEY
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.minio.auth.existingSecret "existingKey" $v.minio.auth.accessKeyKey "key" "S3_ACCESS_KEY") | nindent 4 }}
- name: S3_SECRET_KEY
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.minio.auth.existingSecret "existingKey" $v.minio.auth.secretKeyKey "key" "S3_SECRET_KEY") | nindent 4 }}
{{- $natsAuth := include "assay.natsAuth" . }}
{{- if eq $natsAuth "token" }}
- name: NATS_TOKEN
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.nats.auth.existingSecret "existingKey" $v.nats.auth.tokenKey "key" "NATS_TOKEN") | nindent 4 }}
{{- else if eq $natsAuth "userPassword" }}
- name: NATS_USER
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.nats.auth.existingSecret "existingKey" $v.nats.auth.userKey "key" "NATS_USER") | nindent 4 }}
- name: NATS_PASSWORD
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.nats.auth.existingSecret "existingKey" $v.nats.auth.passwordKey "key" "NATS_PASSWORD") | nindent 4 }}
{{- end }}
{{- if or $v.perspective.apiKey $v.perspective.existingSecret }}
- name: PERSPECTIVE_API_KEY
  valueFrom:
    {{- include "assay.secretKeyRef" (dict "ctx" . "existingSecret" $v.perspective.existingSecret "existingKey" $v.perspective.existingSecretKey "key" "PERSPECTIVE_API_KEY") | nindent 4 }}
{{- end }}
{{- end }}
