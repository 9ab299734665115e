#!/usr/bin/env bash
# The sink-failure reliability test with the full 30 s ClickHouse outage (npm test runs it with 8 s to stay lean).
# Usage: bash bench/streaming-soak.sh [outage-ms]
set -euo pipefail
cd "$(dirname "$0")/.."
RATESTREAM_OUTAGE_MS="${1:-30000}" exec npx vitest run --project integration test/reliability/streaming-sink-failure.test.ts
