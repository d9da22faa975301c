{{/* The runner image the dispatcher puts in its Jobs: the runner chart's image under the global registry/tag. */}}
{{- define "controller.runnerImage" -}}
{{- $global := ((.Values.global).image) | default dict -}}
{{- $tag := $global.tag | default .Chart.AppVersion -}}
{{- if $global.registry -}}{{ $global.registry }}/{{- end -}}runner:{{ $tag }}
{{- end -}}
