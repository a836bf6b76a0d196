{{/* The release's base name: the release name when it contains the chart name, else
     "<release>-keelson" (Helm's usual convention), 63 characters at most. */}}
{{- define "keelson.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "keelson.agent.fullname" -}}
{{- printf "%s-agent" (include "keelson.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "keelson.autoscaler.fullname" -}}
{{- printf "%s-autoscaler" (include "keelson.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "keelson.agent.serviceAccountName" -}}
{{- default (include "keelson.agent.fullname" .) .Values.agent.serviceAccount.name -}}
{{- end -}}
{{- define "keelson.autoscaler.serviceAccountName" -}}
{{- default (include "keelson.autoscaler.fullname" .) .Values.autoscaler.serviceAccount.name -}}
{{- end -}}

{{/* The Lease name the autoscaler uses (it also carries the decision state): its own name. */}}
{{- define "keelson.autoscaler.leaseName" -}}
{{- include "keelson.autoscaler.fullname" . -}}
{{- end -}}

{{/* The ConfigMap holding agent.yaml that the chart generates. */}}
{{- define "keelson.agent.configName" -}}
{{- printf "%s-config" (include "keelson.agent.fullname" .) -}}
{{- end -}}
{{- define "keelson.policiesName" -}}
{{- default (printf "%s-policies" (include "keelson.fullname" .)) .Values.autoscaler.existingPoliciesConfigMap -}}
{{- end -}}

{{/* Helm's standard labels (also on pod templates). */}}
{{- define "keelson.helmLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Labels on every object's metadata, besides the component's own: Helm's, part-of (as the
     base's kustomization adds it) and commonLabels. */}}
{{- define "keelson.standardLabels" -}}
{{ include "keelson.helmLabels" . }}
app.kubernetes.io/part-of: keelson
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The selector labels: the base's, unchanged (selectors are immutable, and equal selectors
     let a kustomize install be taken over by the chart). */}}
{{- define "keelson.agent.selectorLabels" -}}
app.kubernetes.io/name: keelson-agent
{{- end -}}
{{- define "keelson.autoscaler.selectorLabels" -}}
app.kubernetes.io/name: keelson-autoscaler
{{- end -}}

{{- define "keelson.agent.labels" -}}
{{ include "keelson.agent.selectorLabels" . }}
app.kubernetes.io/component: agent
{{ include "keelson.standardLabels" . }}
{{- end -}}
{{- define "keelson.autoscaler.labels" -}}
{{ include "keelson.autoscaler.selectorLabels" . }}
app.kubernetes.io/component: autoscaler
{{ include "keelson.standardLabels" . }}
{{- end -}}

{{/* image: repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "keelson.image" -}}
{{- printf "%s:%s" .repository (default .appVersion .tag) -}}
{{- end -}}

{{/* imagePullSecrets of a component: the global list then the component's. */}}
{{- define "keelson.pullSecrets" -}}
{{- $secrets := concat .global .component -}}
{{- if $secrets }}
imagePullSecrets:
{{- range $secrets }}
  - {{ if kindIs "string" . }}name: {{ . }}{{ else }}{{ toYaml . | nindent 4 | trim }}{{ end }}
{{- end }}
{{- end }}
{{- end -}}

{{/* agent.yaml as the chart generates it. */}}
{{- define "keelson.agent.config" -}}
{{- $config := dict "sink" .Values.agent.sink -}}
{{- if .Values.agent.kafka.properties -}}
{{- $_ := set $config "logs" (dict "kafka" (dict "properties" .Values.agent.kafka.properties)) -}}
{{- end -}}
{{- $config = mergeOverwrite $config (deepCopy .Values.agent.config) -}}
{{- toYaml $config -}}
{{- end -}}

{{/* Pod template labels: the base's (selector + component) and Helm's. */}}
{{- define "keelson.agent.podLabels" -}}
{{ include "keelson.agent.selectorLabels" . }}
app.kubernetes.io/component: agent
{{ include "keelson.helmLabels" . }}
{{- end -}}
{{- define "keelson.autoscaler.podLabels" -}}
{{ include "keelson.autoscaler.selectorLabels" . }}
app.kubernetes.io/component: autoscaler
{{ include "keelson.helmLabels" . }}
{{- end -}}
