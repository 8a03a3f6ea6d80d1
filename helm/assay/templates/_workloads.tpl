{{/* Workloads: one per enabled service and role --------------------------------------------- */}}

{{/* The scaling mode of a service, auto resolved: keda | hpa | none. (dict "ctx" $ "svc" $svc) */}}
{{- define "assay.scalingMode" -}}
{{- $mode := default .ctx.Values.scaling.mode .svc.scaling }}
{{- if eq $mode "auto" }}
{{- ternary "keda" "hpa" (.ctx.Capabilities.APIVersions.Has "keda.sh/v1alpha1/ScaledObject") }}
{{- else }}
{{- $mode }}
{{- end }}
{{- end }}

{{/*
`items`: every Deployment the chart renders, as {service, role, component, gpu, scaler}. A service with job queues
has an api and a worker; one without has an api. scaler: keda (workers only) | hpa | none.
Use: (include "assay.workloads" $ | fromYaml).items
*/}}
{{- define "assay.workloads" -}}
items:
{{- range $name := keys .Values.services | sortAlpha }}
{{- $svc := get $.Values.services $name }}
{{- if $svc.enabled }}
{{- $roles := list "api" }}
{{- range $queue := $svc.jobQueues }}
{{- if not (hasPrefix (printf "%s." $name) $queue) }}
{{- fail (printf "services.%s.jobQueues: %q is not a queue of %s (queues are named <service>.<verb>)" $name $queue $name) }}
{{- end }}
{{- end }}
{{- if $svc.jobQueues }}
{{- if not $svc.worker }}{{ fail (printf "services.%s.jobQueues is set: services.%s.worker is required" $name $name) }}{{ end }}
{{- $roles = append $roles "worker" }}
{{- end }}
{{- $mode := include "assay.scalingMode" (dict "ctx" $ "svc" $svc) }}
{{- range $role := $roles }}
{{- $gpu := false }}
{{- if $svc.gpu }}{{ if $svc.gpu.enabled }}{{ $gpu = has $role (default $roles $svc.gpu.roles) }}{{ end }}{{ end }}
  - service: {{ $name }}
    role: {{ $role }}
    component: {{ ternary $name (printf "%s-worker" $name) (eq $role "api") }}
    gpu: {{ $gpu }}
    scaler: {{ if eq $mode "none" }}none{{ else if and (eq $role "worker") (eq $mode "keda") }}keda{{ else }}hpa{{ end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Settings of one role of a service: services.<name>.api or .worker. (dict "ctx" $ "w" workload) */}}
{{- define "assay.roleValues" -}}
{{- toYaml (get (get .ctx.Values.services .w.service) .w.role) }}
{{- end }}

{{/* GPU settings of a service, the global gpu block filling what it leaves unset. (dict "ctx" $ "svc" $svc) */}}
{{- define "assay.gpuSettings" -}}
{{- $global := .ctx.Values.gpu }}
{{- $own := default dict .svc.gpu }}
{{- $selector := dict "nvidia.com/gpu.present" "true" }}
{{- if kindIs "map" $global.nodeSelector }}{{ $selector = $global.nodeSelector }}{{ end }}
{{- if kindIs "map" $own.nodeSelector }}{{ $selector = $own.nodeSelector }}{{ end }}
{{- $tolerations := default list $global.tolerations }}
{{- if kindIs "slice" $own.tolerations }}{{ $tolerations = $own.tolerations }}{{ end }}
resourceName: {{ default $global.resourceName $own.resourceName | quote }}
count: {{ default 1 $own.count }}
runtimeClassName: {{ default $global.runtimeClassName $own.runtimeClassName | quote }}
nodeSelector: {{ toJson $selector }}
tolerations: {{ toJson $tolerations }}
{{- end }}

{{/*
requests.ephemeral-storage for Assay containers: ephemeralStorageRequest, or what the pod's volumes may take of the
node disk (an emptyDir cache on disk, plus /tmp), summed when both are whole Mi or Gi.
*/}}
{{- define "assay.ephemeralStorageRequest" -}}
{{- $v := .Values }}
{{- if $v.ephemeralStorageRequest }}
{{- $v.ephemeralStorageRequest }}
{{- else }}
{{- $sizes := list $v.tmpSizeLimit }}
{{- if and (eq $v.cache.type "emptyDir") (ne $v.cache.medium "Memory") }}{{ $sizes = append $sizes $v.cache.sizeLimit }}{{ end }}
{{- $mi := 0 }}
{{- range $size := $sizes }}
{{- $s := toString $size }}
{{- if regexMatch "^[0-9]+Gi$" $s }}{{ $mi = add $mi (mul 1024 (trimSuffix "Gi" $s | atoi)) }}
{{- else if regexMatch "^[0-9]+Mi$" $s }}{{ $mi = add $mi (trimSuffix "Mi" $s | atoi) }}
{{- else }}{{ fail (printf "cannot add up the size %q for requests.ephemeral-storage: set ephemeralStorageRequest" $s) }}
{{- end }}
{{- end }}
{{- if eq (mod $mi 1024) 0 }}{{ div $mi 1024 }}Gi{{ else }}{{ $mi }}Mi{{ end }}
{{- end }}
{{- end }}

{{/* The model cache volume of one pod. */}}
{{- define "assay.cacheVolume" -}}
- name: cache
{{- if eq .Values.cache.type "ephemeral" }}
  ephemeral:
    volumeClaimTemplate:
      spec:
        accessModes: [ReadWriteOnce]
        {{- with .Values.cache.ephemeral.storageClass }}
        storageClassName: {{ . | quote }}
        {{- end }}
        resources:
          requests:
            storage: {{ .Values.cache.ephemeral.size }}
{{- else }}
  emptyDir:
    {{- with .Values.cache.medium }}
    medium: {{ . }}
    {{- end }}
    sizeLimit: {{ .Values.cache.sizeLimit }}
{{- end }}
{{- end }}
