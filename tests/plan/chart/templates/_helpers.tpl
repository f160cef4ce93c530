{{- define "order.labels" -}}
app: {{ .Release.Name }}
{{- end }}
