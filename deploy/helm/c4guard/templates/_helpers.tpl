{{/* Names, labels and the image reference shared by every template. */}}
{{- define "c4guard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "c4guard.gate" -}}{{ include "c4guard.fullname" . }}-gate{{- end -}}

{{- define "c4guard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "c4guard.selector" -}}
app.kubernetes.io/name: {{ .root.Chart.Name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "c4guard.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security Standard for a container that runs c4guard. */}}
{{- define "c4guard.containerSecurity" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
privileged: false
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "c4guard.podSecurity" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* A small writable /tmp and state directory: the root filesystem is read-only. */}}
{{- define "c4guard.scratchVolumes" -}}
- name: tmp
  emptyDir: {medium: Memory, sizeLimit: 16Mi}
- name: state
  emptyDir: {sizeLimit: 64Mi}
{{- end -}}

{{- define "c4guard.scratchMounts" -}}
- name: tmp
  mountPath: /tmp
- name: state
  mountPath: /var/lib/c4guard
{{- end -}}

{{- define "c4guard.env" -}}
- name: C4GUARD_STATE_DIR
  value: /var/lib/c4guard
- name: NO_COLOR
  value: "1"
{{- end -}}

{{- define "c4guard.reportArgs" -}}
{{- if eq .Values.reports.destination "pvc" }}
- --format
- json
- --output
- /reports/{{ .name }}.json
{{- else }}
- --format
- json
{{- end }}
{{- end -}}

{{/* Egress to the cluster DNS only. */}}
{{- define "c4guard.dnsEgress" -}}
- to:
    - namespaceSelector:
        matchLabels: {kubernetes.io/metadata.name: kube-system}
      podSelector:
        matchLabels:
          {{- toYaml .Values.networkPolicy.dnsPodLabels | nindent 10 }}
  ports:
    - {port: 53, protocol: UDP}
    - {port: 53, protocol: TCP}
{{- end -}}

{{/* A service-account token only for pods that use the API: projected, short-lived. */}}
{{- define "c4guard.apiTokenVolume" -}}
- name: api-token
  projected:
    defaultMode: 0444
    sources:
      - serviceAccountToken: {path: token, expirationSeconds: 3600}
      - configMap:
          name: kube-root-ca.crt
          items: [{key: ca.crt, path: ca.crt}]
      - downwardAPI:
          items:
            - path: namespace
              fieldRef: {fieldPath: metadata.namespace}
{{- end -}}

{{- define "c4guard.apiTokenMount" -}}
- name: api-token
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end -}}

{{/* Egress to the API server (the Job and CronJob that use it). */}}
{{- define "c4guard.apiServerEgress" -}}
- ports:
    - {port: 443, protocol: TCP}
    - {port: 6443, protocol: TCP}
  {{- if .Values.apiServerCIDRs }}
  to:
    {{- range .Values.apiServerCIDRs }}
    - ipBlock: {cidr: {{ . }}}
    {{- end }}
  {{- else }}
  {{- fail "apiServerCIDRs: the API server's addresses are needed for the NetworkPolicies" }}
  {{- end }}
{{- end -}}
