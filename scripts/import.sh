#!/usr/bin/env bash
# Imports a CRM export into a running WinLoss service (POST /api/v1/imports/crm), printing progress.
#   scripts/import.sh FILE MAPPING.json [--lookup NAME=FILE ...]
# WINLOSS_URL (default http://localhost:5080) and WINLOSS_KEY (an analyst's or admin's key; default: data/admin.key).
# The service reads the file as it is uploaded, so the upload progress is the import's progress.
set -euo pipefail
usage() { echo "usage: $0 FILE MAPPING.json [--lookup NAME=FILE ...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
file=$1; mapping=$2; shift 2
[ -r "$file" ] || { echo "cannot read $file" >&2; exit 2; }
[ -r "$mapping" ] || { echo "cannot read $mapping" >&2; exit 2; }
parts=(-F "mapping=<$mapping;type=application/json")
while [ $# -gt 0 ]; do
  case "$1" in
    --lookup)
      [ $# -ge 2 ] || usage
      name=${2%%=*}; path=${2#*=}
      [ -n "$name" ] && [ "$name" != "$2" ] && [ -r "$path" ] || { echo "bad --lookup $2 (want NAME=FILE)" >&2; exit 2; }
      parts+=(-F "lookup.$name=@$path;type=text/csv")
      shift 2 ;;
    *) usage ;;
  esac
done
parts+=(-F "file=@$file;type=text/csv")

url="${WINLOSS_URL:-http://localhost:5080}"
key="${WINLOSS_KEY:-}"
if [ -z "$key" ]; then
  keyfile="$(dirname "$0")/../data/admin.key"
  [ -r "$keyfile" ] && key=$(cat "$keyfile") || { echo "set WINLOSS_KEY (an analyst's or admin's API key)" >&2; exit 2; }
fi

size=$(stat -c %s "$file")
echo "Importing $file ($size bytes) into $url ..." >&2
out=$(mktemp); trap 'rm -f "$out"' EXIT
status=$(curl --progress-bar -o "$out" -w '%{http_code}' -X POST "$url/api/v1/imports/crm" \
  -H "Authorization: Bearer $key" -H 'Expect:' "${parts[@]}")
echo >&2
if command -v python3 >/dev/null 2>&1; then python3 -m json.tool "$out" || cat "$out"; else cat "$out"; echo; fi
[ "$status" = 200 ] || { echo "HTTP $status" >&2; exit 1; }
