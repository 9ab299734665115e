#!/usr/bin/env bash
# End-to-end streaming bench (raw topic → mediate → rate → sink → ClickHouse engine): serve's default layout (the fused
# stage, rate.with-mediation auto, with the mediate, rate and sink roles in each process) with one and with two serve
# processes, interleaved (1, 2, 2, 1: the machine's state drifts between runs), then one process with the roles apart
# (--roles-apart: mediate → udr topic → rate); starts (or reuses) the local Kafka broker + schema registry and holds a
# lease on them while it runs.
# Usage: bash bench/streaming-e2e.sh [records=2000000] [partitions=4] [rounds=2]
# Each round runs one, two, two and one process; the runs share one input (made by the first, --input-cache: making
# 2M records and their expected counts is ≈ 110 s, before each run's clock starts), so a 2M run takes ≈ 40 s more
# than its measured window instead of ≈ 2.5 minutes, and the scale-out verdict rests on 4 pairs of adjacent runs.
# 2M records by default, ≈ 10 minutes: issue #10's RSS target is over a 2M serve run, and at 200k (≈ 5 s a run) each
# process's fixed warm-up (JIT compilation, cold first batches, the first merges) weighs ≈ 8–10 CPU-s per million.
# Results: one JSON line per run on stdout; on stderr each run's figures against issue #10's targets, and at the
# end the one-process runs summed up and two processes against one, by the median change between adjacent runs
# (bench/targets.ts). Single runs on shared cores are noisy.
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS="${1:-2000000}"
PARTITIONS="${2:-4}"
ROUNDS="${3:-2}"
bash deploy/local/services.sh up --lease $$ kafka registry >&2
OUT="$(mktemp)"
CACHE="$(mktemp -d)"
trap 'rm -rf "$OUT" "$CACHE"; bash deploy/local/services.sh release $$ >&2 || true' EXIT
eval "$(bash deploy/local/services.sh env)"
export KAFKA_BROKERS SCHEMA_REGISTRY_URL
for _ in $(seq "$ROUNDS"); do
  for n in 1 2 2 1; do
    npx tsx bench/streaming-e2e.ts --records "$RECORDS" --processes "$n" --partitions "$PARTITIONS" --input-cache "$CACHE" | tee -a "$OUT"
  done
done
npx tsx bench/streaming-e2e.ts --records "$RECORDS" --processes 1 --partitions "$PARTITIONS" --roles-apart --input-cache "$CACHE" | tee -a "$OUT"
npx tsx bench/targets.ts "$OUT" | grep -E '^(one process|scale-out)' >&2
