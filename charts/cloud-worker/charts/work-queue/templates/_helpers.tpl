{{/*
Chart name, at most 63 characters (the limit of a DNS label).
*/}}
{{- define "work-queue.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: the release name, followed by the chart name unless the release name already holds it.
The cloud-worker umbrella calls this with the subchart's values to find the Service and Secret it connects to.
*/}}
{{- define "work-queue.fullname" -}}
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

{{- define "work-queue.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "work-queue.labels" -}}
helm.sh/chart: {{ include "work-queue.chart" . }}
{{ include "work-queue.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "work-queue.selectorLabels" -}}
app.kubernetes.io/name: {{ include "work-queue.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The Secret holding the credentials of the default user under the keys username and password.
*/}}
{{- define "work-queue.secretName" -}}
{{- default (include "work-queue.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{- define "work-queue.image" -}}
{{- $repository := ternary .Values.image.repository (printf "%s/%s" .Values.image.registry .Values.image.repository) (empty .Values.image.registry) }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default (printf "%s-management" .Chart.AppVersion) .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
RabbitMQ's consumer_timeout in minutes. A consumer that holds a message unacknowledged for longer loses its
channel and the message is redelivered; the cloud-worker holds each message until its Job has ended, so the
time-out must exceed the longest Job (global.maxTimeoutMinutes, shared with the apps' MAX_TIMEOUT_MINUTES).
*/}}
{{- define "work-queue.consumerTimeoutMinutes" -}}
{{- $longestJob := 0 }}
{{- if hasKey .Values "global" }}
{{- $longestJob = dig "maxTimeoutMinutes" 0 .Values.global | int }}
{{- end }}
{{- if .Values.consumerTimeoutMinutes }}
{{- $minutes := int .Values.consumerTimeoutMinutes }}
{{- if le $minutes $longestJob }}
{{- fail (printf "work-queue: consumerTimeoutMinutes (%d) must exceed global.maxTimeoutMinutes (%d), the longest a Job may run while its message is held" $minutes $longestJob) }}
{{- end }}
{{- $minutes }}
{{- else if $longestJob }}
{{- add $longestJob .Values.consumerTimeoutMarginMinutes }}
{{- else }}
{{- 30 }}
{{- end }}
{{- end }}
