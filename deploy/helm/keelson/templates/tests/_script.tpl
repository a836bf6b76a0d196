{{/* get [ARGS...] URL: HTTP GET with curl when the image has it, else busybox wget, bounded by
     `timeout` where the image has it (Debian's busybox 1.35 wget crashes with its own -T). */}}
{{- define "keelson.tests.get" -}}
get() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS -m 5 "$@"
  elif command -v timeout >/dev/null 2>&1; then
    timeout 10 wget -q -O - "$@"
  else
    wget -q -O - "$@"
  fi
}
{{- end -}}

{{- define "keelson.tests.pod" -}}
restartPolicy: Never
{{- include "keelson.pullSecrets" (dict "global" .Values.imagePullSecrets "component" list) }}
securityContext:
  runAsNonRoot: true
  runAsUser: 65534
  runAsGroup: 65534
  seccompProfile:
    type: RuntimeDefault
{{- end -}}

{{- define "keelson.tests.container" -}}
image: {{ printf "%s:%s" .Values.tests.image.repository .Values.tests.image.tag }}
imagePullPolicy: {{ .Values.tests.image.pullPolicy }}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
resources:
  requests:
    cpu: 10m
    memory: 16Mi
  limits:
    cpu: 100m
    memory: 64Mi
{{- end -}}

{{- define "keelson.tests.labels" -}}
app.kubernetes.io/name: keelson-test
app.kubernetes.io/component: test
{{ include "keelson.standardLabels" . }}
{{- end -}}
