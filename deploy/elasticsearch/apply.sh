#!/bin/sh
# Applies the hotline's index templates to an Elasticsearch cluster:
#   ES_URL=http://localhost:9200 deploy/elasticsearch/apply.sh
# Idempotent: PUT replaces a template of the same name. Templates apply to
# indices created afterwards; the tracker creates its indices on first use.
# With security on, pass credentials in ES_AUTH (user:password) and use https.
set -eu
ES_URL="${ES_URL:-http://localhost:9200}"
dir="$(dirname "$0")/index-templates"
for f in "$dir"/*.json; do
	name="$(basename "$f" .json)"
	echo "index template $name"
	if [ -n "${ES_AUTH:-}" ]; then
		curl -fsS -u "$ES_AUTH" -X PUT "$ES_URL/_index_template/$name" -H 'Content-Type: application/json' --data-binary "@$f"
	else
		curl -fsS -X PUT "$ES_URL/_index_template/$name" -H 'Content-Type: application/json' --data-binary "@$f"
	fi
	echo
done
