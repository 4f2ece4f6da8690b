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
The Secrets of the two users, each under the keys username and password: the apps' (read by the cloud-worker
umbrella for its AMQP_URL) and the MSTC clients'.
*/}}
{{- define "work-queue.secretName" -}}
{{- default (include "work-queue.fullname" .) .Values.auth.existingSecret }}
{{- end }}

{{- define "work-queue.clientSecretName" -}}
{{- default (printf "%s-client" (include "work-queue.fullname" .)) .Values.auth.client.existingSecret }}
{{- end }}

{{/*
A user's Secret; call with (dict "context" $ "name" <Secret> "auth" <username and password values> "what" <their
values' path>). A generated password is read back on upgrades, so that it stays the one the users have.
*/}}
{{- define "work-queue.userSecret" -}}
{{- $stored := dig "data" "password" "" (lookup "v1" "Secret" .context.Release.Namespace .name) }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ .name }}
  namespace: {{ .context.Release.Namespace }}
  labels:
    {{- include "work-queue.labels" .context | nindent 4 }}
type: Opaque
data:
  username: {{ required (printf "work-queue: %s.username is required" .what) .auth.username | b64enc | quote }}
  {{- if .auth.password }}
  password: {{ .auth.password | b64enc | quote }}
  {{- else }}
  password: {{ $stored | default (randAlphaNum 32 | b64enc) | quote }}
  {{- end }}
{{- end }}

{{/*
The users' permissions, as RabbitMQ regular expressions over queue and exchange names (the default exchange
is `amq.default`). The apps may configure, write and read the cloud-worker names and their own queues; the
MSTC client may do what the MSTC client does and nothing else:
- configure: declare the work queue (pika's durable `queue_declare`) and its own server-named `amq.gen-*` queues;
- write: publish to the work exchange, and to the work queue through the default exchange;
- read: consume its own `amq.gen-*` reply queues (never the work queue).
*/}}
{{- define "work-queue.permissions" -}}
{{- $names := .Values.names }}
{{- $quoted := dict }}
{{- range $key, $name := $names }}
{{- $_ := set $quoted $key (regexQuoteMeta $name) }}
{{- end }}
{{- $serverNamed := "amq\\.gen-.*" }}
{{- $apps := printf "^(%s|%s|%s|%s|%s|%s\\..+|%s\\..+|%s|amq\\.default|amq\\.rabbitmq\\.reply-to)$" $quoted.workExchange $quoted.workQueue $quoted.deadLetterQueue $quoted.resultsExchange $quoted.controlExchange $quoted.controlExchange $quoted.resultsExchange $serverNamed }}
apps:
  configure: {{ $apps | quote }}
  write: {{ $apps | quote }}
  read: {{ $apps | quote }}
client:
  configure: {{ printf "^(%s|%s)$" $quoted.workQueue $serverNamed | quote }}
  write: {{ printf "^(%s|amq\\.default)$" $quoted.workExchange | quote }}
  read: {{ printf "^%s$" $serverNamed | quote }}
{{- end }}

{{/*
The definitions RabbitMQ loads at every boot (load_definitions), with placeholders where the users' names and
passwords go: an init container fills them in from the Secrets, so that no ConfigMap holds a password. Loading
definitions also keeps RabbitMQ from creating its default `guest` user.
*/}}
{{- define "work-queue.definitionsTemplate" -}}
{{- $permissions := include "work-queue.permissions" . | fromYaml }}
{{- $users := list }}
{{- $grants := list }}
{{- range $user := list "apps" "client" }}
{{- $placeholder := upper $user }}
{{- $users = append $users (dict "name" (printf "@%s_USERNAME@" $placeholder) "password" (printf "@%s_PASSWORD@" $placeholder) "tags" list) }}
{{- $grants = append $grants (merge (dict "user" (printf "@%s_USERNAME@" $placeholder) "vhost" "/") (index $permissions $user)) }}
{{- end }}
{{- dict "vhosts" (list (dict "name" "/")) "users" $users "permissions" $grants | toPrettyJson }}
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
