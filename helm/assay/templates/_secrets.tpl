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

{{/*
Checksum of what the chart's Secret is made from (the values, not generated credentials, which `helm template`
would draw anew each time): pods roll when a credential given in values changes.
*/}}
{{- define "assay.secretChecksum" -}}
{{- $v := .Values }}
{{- dict "apiKeys" $v.apiKeys "signing" $v.signing "nats" $v.nats.auth "minio" $v.minio.auth "perspective" $v.perspective | toJson | sha256sum }}
{{- end }}
