#!/usr/bin/env bash
# The nightly drift check as a plain shell recipe (cron, Jenkins, GitLab CI, a laptop). Run it in the Pulumi
# project directory, or pass the directory as the first argument. Needs `pulumi` on PATH, logged in to the stacks'
# backend, and PULUMI_CONFIG_PASSPHRASE (or _FILE) for passphrase stacks.
#
#   ./drift-check.sh [project-dir] [report-dir]
#
# Writes drift.md, drift.xml (JUnit) and drift.json into report-dir (default: ./drift-report), prints the text
# summary, and exits like `pulumi-enos drift`: 0 no drift, 2 drift, 1 a stack could not be checked.
set -uo pipefail

project=${1:-.}
reports=${2:-drift-report}
mkdir -p "$reports"

npx --no-install pulumi-enos drift --cwd "$project" \
  --out "$reports/drift.md" --out "$reports/drift.xml" --out "$reports/drift.json" --out "$reports/drift.txt"
code=$?

if [ -f "$reports/drift.txt" ]; then cat "$reports/drift.txt"; fi
case $code in
  0) echo "no drift" ;;
  2) echo "drift found: see $reports/drift.md; \`pulumi up\` on the stack brings it back" >&2 ;;
  *) echo "a stack could not be checked (see the error lines above)" >&2 ;;
esac
exit $code
