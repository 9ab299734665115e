#!/usr/bin/env bash
# End-to-end streaming bench (raw topic → mediate → rate → sink → ClickHouse engine): serve's default layout (the fused
# stage, rate.with-mediation auto, with the mediate, rate and sink roles in each process) with one and with two serve
# processes, then one process with the roles apart (--roles-apart: mediate → udr topic → rate); starts (or reuses) the
# local Kafka broker + schema registry and holds a lease on them while it runs.
# Usage: bash bench/streaming-e2e.sh [records=200000] [partitions=4]
# Results: one JSON line per layout on stdout; on stderr each run's figures against issue #10's targets, and at the
# end two processes against one (bench/targets.ts). Single runs on shared cores are noisy: compare several.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-200000}"
PARTITIONS="${2:-4}"
bash deploy/local/services.sh up --lease $$ kafka registry >&2
OUT="$(mktemp)"
trap 'rm -f "$OUT"; bash deploy/local/services.sh release $$ >&2 || true' EXIT
eval "$(bash deploy/local/services.sh env)"
export KAFKA_BROKERS SCHEMA_REGISTRY_URL
for n in 1 2; do
  npx tsx bench/streaming-e2e.ts --records "$RECORDS" --processes "$n" --partitions "$PARTITIONS" | tee -a "$OUT"
done
npx tsx bench/streaming-e2e.ts --records "$RECORDS" --processes 1 --partitions "$PARTITIONS" --roles-apart | tee -a "$OUT"
npx tsx bench/targets.ts "$OUT" | grep '^scale-out' >&2
