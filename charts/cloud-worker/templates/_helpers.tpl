{{/*
Chart name, at most 63 characters (the limit of a DNS label).
*/}}
{{- define "cloud-worker.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Fully qualified name: the release name, followed by the chart name unless the release name already holds it.
Component names add a suffix, so this leaves room for it.
*/}}
{{- define "cloud-worker.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 55 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "cloud-worker.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cloud-worker.labels" -}}
helm.sh/chart: {{ include "cloud-worker.chart" . }}
{{ include "cloud-worker.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: {{ include "cloud-worker.name" . }}
{{- end }}

{{- define "cloud-worker.selectorLabels" -}}
app.kubernetes.io/name: {{ include "cloud-worker.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The worker's ServiceAccount, the one its Role is bound to.
*/}}
{{- define "cloud-worker.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-worker" (include "cloud-worker.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The ServiceAccount of the Jobs' pods (JOB_SERVICE_ACCOUNT); empty means the namespace's default.
*/}}
{{- define "cloud-worker.jobServiceAccountName" -}}
{{- if .Values.jobs.serviceAccount.create }}
{{- default (printf "%s-job" (include "cloud-worker.fullname" .)) .Values.jobs.serviceAccount.name }}
{{- else }}
{{- .Values.jobs.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The apps' image; one image runs both, the container's argument picks the app.
*/}}
{{- define "cloud-worker.image" -}}
{{- include "cloud-worker.imageReference" (dict "image" .Values.image "defaultTag" .Chart.AppVersion) }}
{{- end }}

{{/*
An image's reference from its values (registry, repository, tag, digest): the digest wins over the tag, and
defaultTag stands in for an empty tag.
*/}}
{{- define "cloud-worker.imageReference" -}}
{{- $image := .image }}
{{- $repository := ternary $image.repository (printf "%s/%s" $image.registry $image.repository) (empty $image.registry) }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .defaultTag $image.tag) }}
{{- end }}
{{- end }}

{{/*
A subchart's own fullname helper, called with the values the umbrella holds for it, so that the names the
apps connect to are the names the subchart gives its Service and Secret.
*/}}
{{- define "cloud-worker.minio.fullname" -}}
{{- include "minio.fullname" (dict "Values" .Values.minio "Chart" (dict "Name" "minio") "Release" .Release) }}
{{- end }}

{{- define "cloud-worker.workQueue.fullname" -}}
{{- include "work-queue.fullname" (dict "Values" (index .Values "work-queue") "Chart" (dict "Name" "work-queue") "Release" .Release) }}
{{- end }}

{{/*
S3: the bundled MinIO, or the store named by externalS3.
*/}}
{{- define "cloud-worker.s3.endpoint" -}}
{{- if .Values.minio.enabled }}
{{- printf "http://%s:%v" (include "cloud-worker.minio.fullname" .) .Values.minio.service.port }}
{{- else }}
{{- required "externalS3.endpoint is required when minio.enabled is false" .Values.externalS3.endpoint }}
{{- end }}
{{- end }}

{{/*
The Secret with the S3 credentials under the keys accessKey and secretKey: read by the apps, and named to the
Jobs as JOB_S3_SECRET_NAME (the keys are the ones the Jobs' pods read).
*/}}
{{- define "cloud-worker.s3.secretName" -}}
{{- if .Values.minio.enabled }}
{{- default (include "cloud-worker.minio.fullname" .) .Values.minio.auth.existingSecret }}
{{- else }}
{{- default (printf "%s-s3" (include "cloud-worker.fullname" .)) .Values.externalS3.existingSecret }}
{{- end }}
{{- end }}

{{/*
The Jobs' own S3 credentials (keys accessKey and secretKey), never the apps': named to the worker as
JOB_S3_SECRET_NAME. For the bundled MinIO, a hook creates that user with a policy that excludes the records bucket.
*/}}
{{- define "cloud-worker.jobS3.secretName" -}}
{{- default (printf "%s-job-s3" (include "cloud-worker.fullname" .)) .Values.jobs.s3.existingSecret }}
{{- end }}

{{/*
The api's static tokens (key tokens.json), and the token of the `helm test` pod: generated once, and read back on
upgrades. Memoised in .Values, so that the api's tokens and the test pod's Secret agree within one render.
*/}}
{{- define "cloud-worker.api.tokensSecretName" -}}
{{- default (printf "%s-api-tokens" (include "cloud-worker.fullname" .)) .Values.api.auth.existingSecret }}
{{- end }}

{{- define "cloud-worker.testTokenSecretName" -}}
{{- printf "%s-test-token" (include "cloud-worker.fullname" .) }}
{{- end }}

{{- define "cloud-worker.testToken" -}}
{{- if not (hasKey .Values.tests "_token") }}
{{- $stored := dig "data" "token" "" (lookup "v1" "Secret" .Release.Namespace (include "cloud-worker.testTokenSecretName" .)) }}
{{- $_ := set .Values.tests "_token" (ternary ($stored | b64dec) (randAlphaNum 40) (ne $stored "")) }}
{{- end }}
{{- .Values.tests._token }}
{{- end }}

{{/*
The bundled RabbitMQ's users are granted the cloud-worker names of work-queue.names; the apps use config.*.
*/}}
{{- define "cloud-worker.checkBrokerNames" -}}
{{- $workQueue := index .Values "work-queue" }}
{{- if $workQueue.enabled }}
{{- range $key, $name := $workQueue.names }}
{{- if ne $name (index $.Values.config $key) }}
{{- fail (printf "work-queue.names.%s (%s) must equal config.%s (%s): the broker's users are granted the former, the apps use the latter" $key $name $key (index $.Values.config $key)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
RabbitMQ: the bundled work-queue node, or the broker named by externalRabbitmq.
*/}}
{{- define "cloud-worker.rabbitmq.secretName" -}}
{{- $workQueue := index .Values "work-queue" }}
{{- if $workQueue.enabled }}
{{- default (include "cloud-worker.workQueue.fullname" .) $workQueue.auth.existingSecret }}
{{- else }}
{{- default (printf "%s-rabbitmq" (include "cloud-worker.fullname" .)) .Values.externalRabbitmq.existingSecret }}
{{- end }}
{{- end }}

{{/*
AMQP_URL without literal credentials: $(AMQP_USERNAME) and $(AMQP_PASSWORD) are expanded by Kubernetes from
the variables the Deployments define just before it, each read from the RabbitMQ Secret.
*/}}
{{- define "cloud-worker.amqp.url" -}}
{{- include "cloud-worker.amqp.urlWithUserinfo" (dict "context" . "userinfo" "$(AMQP_USERNAME):$(AMQP_PASSWORD)@") }}
{{- end }}

{{/*
The broker's URL with `userinfo` (`<user>:<password>@`, or empty for none) before its host.
*/}}
{{- define "cloud-worker.amqp.urlWithUserinfo" -}}
{{- $workQueue := index .context.Values "work-queue" }}
{{- if $workQueue.enabled }}
{{- printf "amqp://%s%s:%v" .userinfo (include "cloud-worker.workQueue.fullname" .context) $workQueue.service.port }}
{{- else }}
{{- $broker := .context.Values.externalRabbitmq }}
{{- $vhost := ternary "" (printf "/%s" (urlquery $broker.vhost)) (eq $broker.vhost "/") }}
{{- printf "%s://%s%s:%v%s" (ternary "amqps" "amqp" $broker.tls) .userinfo (required "externalRabbitmq.host is required when work-queue.enabled is false" $broker.host) $broker.port $vhost }}
{{- end }}
{{- end }}

{{/*
"keda", "hpa" or empty: what owns the worker Deployment's replica count. At most one of the two.
*/}}
{{- define "cloud-worker.worker.autoscaler" -}}
{{- $autoscaling := .Values.worker.autoscaling }}
{{- if and $autoscaling.keda.enabled $autoscaling.hpa.enabled }}
{{- fail "worker.autoscaling.keda.enabled and worker.autoscaling.hpa.enabled are exclusive: both would set the worker Deployment's replica count; turn one off" }}
{{- else if $autoscaling.keda.enabled }}keda
{{- else if $autoscaling.hpa.enabled }}hpa
{{- end }}
{{- end }}

{{/*
Environment of both apps' containers: the credentials, from Secrets. The ConfigMaps hold everything else.
*/}}
{{- define "cloud-worker.credentialsEnv" -}}
- name: AMQP_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ include "cloud-worker.rabbitmq.secretName" . }}
      key: username
- name: AMQP_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "cloud-worker.rabbitmq.secretName" . }}
      key: password
- name: AMQP_URL
  value: {{ include "cloud-worker.amqp.url" . | quote }}
- name: S3_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "cloud-worker.s3.secretName" . }}
      key: accessKey
- name: S3_SECRET_KEY
  valueFrom:
    secretKeyRef:
      name: {{ include "cloud-worker.s3.secretName" . }}
      key: secretKey
{{- end }}

{{/*
Settings both apps read (CommonConfig), as ConfigMap data.
*/}}
{{- define "cloud-worker.commonSettings" -}}
S3_ENDPOINT: {{ include "cloud-worker.s3.endpoint" . | quote }}
S3_REGION: {{ ternary "us-east-1" .Values.externalS3.region .Values.minio.enabled | quote }}
RECORDS_BUCKET: {{ .Values.config.recordsBucket | quote }}
WORK_EXCHANGE: {{ .Values.config.workExchange | quote }}
WORK_QUEUE: {{ .Values.config.workQueue | quote }}
DEAD_LETTER_QUEUE: {{ .Values.config.deadLetterQueue | quote }}
RESULTS_EXCHANGE: {{ .Values.config.resultsExchange | quote }}
CONTROL_EXCHANGE: {{ .Values.config.controlExchange | quote }}
PUBLISH_TIMEOUT_MS: {{ .Values.config.publishTimeoutMs | int | quote }}
DEFAULT_TIMEOUT_MINUTES: {{ .Values.config.defaultTimeoutMinutes | int | quote }}
MAX_TIMEOUT_MINUTES: {{ .Values.global.maxTimeoutMinutes | int | quote }}
SHUTDOWN_TIMEOUT_SECONDS: {{ .Values.config.shutdownTimeoutSeconds | int | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
LOG_FORMAT: {{ .Values.config.logFormat | quote }}
ALLOWED_IMAGES: {{ join "," .Values.config.allowedImages | quote }}
IMAGE_DENY_LATEST: {{ .Values.config.imageDenyLatest | quote }}
IMAGE_REQUIRE_DIGEST: {{ .Values.config.imageRequireDigest | quote }}
{{- with .Values.jobs.maxResources.cpu }}
JOB_MAX_CPU: {{ . | quote }}
{{- end }}
{{- with .Values.jobs.maxResources.memory }}
JOB_MAX_MEMORY: {{ . | quote }}
{{- end }}
{{- end }}

{{/*
Probes on the apps' health endpoints: alive while the process serves HTTP, ready while its dependencies answer.
*/}}
{{- define "cloud-worker.probes" -}}
livenessProbe:
  httpGet:
    path: /health/live
    port: http
  {{- toYaml .livenessProbe | nindent 2 }}
readinessProbe:
  httpGet:
    path: /health/ready
    port: http
  {{- toYaml .readinessProbe | nindent 2 }}
{{- end }}

{{/*
Where one app's pods may run: its nodeSelector, affinity and tolerations values.
*/}}
{{- define "cloud-worker.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
PodDisruptionBudget of one component's pods; call with (dict "context" $ "component" "api" | "worker").
*/}}
{{- define "cloud-worker.podDisruptionBudget" -}}
{{- $budget := (index .context.Values .component).podDisruptionBudget }}
{{- if $budget.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "cloud-worker.fullname" .context }}-{{ .component }}
  namespace: {{ .context.Release.Namespace }}
  labels:
    {{- include "cloud-worker.labels" .context | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  maxUnavailable: {{ $budget.maxUnavailable }}
  selector:
    matchLabels:
      {{- include "cloud-worker.selectorLabels" .context | nindent 6 }}
      app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}
