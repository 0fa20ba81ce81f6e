{{/*
Chart name, or nameOverride.
*/}}
{{- define "mojaloop-k6-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Full name of the release's resources: fullnameOverride, else <release>-<name>, or <release> when it
already contains the name. At most 63 characters (a DNS label).
*/}}
{{- define "mojaloop-k6-operator.fullname" -}}
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

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "mojaloop-k6-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Common labels.
*/}}
{{- define "mojaloop-k6-operator.labels" -}}
helm.sh/chart: {{ include "mojaloop-k6-operator.chart" . }}
{{ include "mojaloop-k6-operator.selectorLabels" . }}
{{- if .Chart.AppVersion }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Selector labels.
*/}}
{{- define "mojaloop-k6-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mojaloop-k6-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Name of the TestRun. The operator names its Jobs after it (<name>-initializer, <name>-starter,
<name>-<i>, services <name>-service-<i>) and labels pods k6_cr=<name>: keep room for the suffixes
within 63 characters.
*/}}
{{- define "mojaloop-k6-operator.testRunName" -}}
{{- include "mojaloop-k6-operator.fullname" . | trunc 48 | trimSuffix "-" }}
{{- end }}

{{/*
Name of the ConfigMap that carries the scripts.
*/}}
{{- define "mojaloop-k6-operator.scriptsConfigMap" -}}
{{- printf "%s-scripts" (include "mojaloop-k6-operator.fullname" . | trunc 55 | trimSuffix "-") }}
{{- end }}

{{/*
The script files, as a glob: scripts/tests.js and every module under scripts/ (lib/*.js).
*/}}
{{- define "mojaloop-k6-operator.scriptGlob" -}}
scripts/**.js
{{- end }}

{{/*
ConfigMap key of a script file (its path under scripts/): a key cannot hold "/", so
lib/config.js becomes lib__config.js. Argument: the file's path in the chart.
*/}}
{{- define "mojaloop-k6-operator.scriptKey" -}}
{{- trimPrefix "scripts/" . | replace "/" "__" }}
{{- end }}

{{/*
The folders directly under scripts/ that hold script files (e.g. "lib"), comma-separated, sorted.
The TestRun mounts the ConfigMap flat at /test/; each of these folders is mounted at
/test/<folder> from the same ConfigMap with `items`, so that `import './lib/x.js'` resolves.
*/}}
{{- define "mojaloop-k6-operator.scriptDirs" -}}
{{- $dirs := dict }}
{{- range $path, $_ := .Files.Glob (include "mojaloop-k6-operator.scriptGlob" .) }}
{{- $rel := trimPrefix "scripts/" $path }}
{{- if contains "/" $rel }}
{{- $_ := set $dirs (splitList "/" $rel | first) "" }}
{{- end }}
{{- end }}
{{- keys $dirs | sortAlpha | join "," }}
{{- end }}

{{/*
Checks JSON Schema cannot express (it does not compare two values).
*/}}
{{- define "mojaloop-k6-operator.validate" -}}
{{- if not (.Files.Get "scripts/tests.js") }}
{{- fail "scripts/tests.js is missing from the chart: the TestRun has nothing to run" }}
{{- end }}
{{- $maxVus := int .Values.config.max_vus }}
{{- if lt $maxVus (int .Values.config.pre_allocated_vus) }}
{{- fail (printf "config.max_vus (%d) is below config.pre_allocated_vus (%d)" $maxVus (int .Values.config.pre_allocated_vus)) }}
{{- end }}
{{- if lt $maxVus (int .Values.parallelism) }}
{{- fail (printf "config.max_vus (%d) is below parallelism (%d): every runner needs at least one VU" $maxVus (int .Values.parallelism)) }}
{{- end }}
{{- $edges := addf (float64 .Values.config.warmup_s) (float64 .Values.config.drain_s) }}
{{- if ge $edges (float64 .Values.config.duration_s) }}
{{- fail (printf "config.warmup_s + config.drain_s (%v) leave no steady window in duration_s (%v)" $edges .Values.config.duration_s) }}
{{- end }}
{{- range $i, $pair := .Values.config.pairs }}
{{- range $end := list "source" "dest" }}
{{- if not (hasKey $.Values.config.dfsps (get $pair $end)) }}
{{- fail (printf "config.pairs[%d].%s: %s is not in config.dfsps" $i $end (get $pair $end)) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
