{{/* The pod that runs `c4guard gate certs --in-cluster` (hook Job and CronJob). */}}
{{- define "c4guard.certsPod" -}}
{{- $name := printf "%s-certs" (include "c4guard.gate" .) -}}
template:
  metadata:
    labels:
      {{- include "c4guard.labels" . | nindent 6 }}
      app.kubernetes.io/component: certs
  spec:
    serviceAccountName: {{ $name }}
    # A short-lived projected token: this pod writes its Secrets and patches the webhook.
    automountServiceAccountToken: false
    restartPolicy: Never
    enableServiceLinks: false
    securityContext:
      {{- include "c4guard.podSecurity" . | nindent 6 }}
    containers:
      - name: certs
        image: {{ include "c4guard.image" . }}
        imagePullPolicy: {{ .Values.image.pullPolicy }}
        args:
          - gate
          - certs
          - --service={{ include "c4guard.gate" . }}
          - --namespace={{ .Release.Namespace }}
          - --days={{ .Values.tls.days }}
          - --renew-before={{ .Values.tls.renewBeforeDays }}
          - --in-cluster={{ include "c4guard.gate" . }}-tls
          - --webhook={{ include "c4guard.gate" . }}
        env:
          {{- include "c4guard.env" . | nindent 10 }}
        resources:
          requests: {cpu: 50m, memory: 96Mi}
          limits: {cpu: 500m, memory: 256Mi}
        securityContext:
          {{- include "c4guard.containerSecurity" . | nindent 10 }}
        volumeMounts:
          {{- include "c4guard.scratchMounts" . | nindent 10 }}
          {{- include "c4guard.apiTokenMount" . | nindent 10 }}
    volumes:
      {{- include "c4guard.scratchVolumes" . | nindent 6 }}
      {{- include "c4guard.apiTokenVolume" . | nindent 6 }}
{{- end -}}
