#!/usr/bin/env bash
# Chaos scenarios of issue #13, reproducible with a seed; not part of `npm test` (short versions are).
#
#   bash bench/chaos.sh [--seed N] [scenario...]      scenarios: kill broker registry rebalance sink poison disk
#                                                     (default: all; the ones not built yet say so and count as failed;
#                                                     built: all — disk needs root)
#   RATESTREAM_CHAOS_KILL_RECORDS (default 1000000) sizes scenario 1 (kill) on a slow machine
#
# Starts (or reuses) the local Kafka broker + schema registry under a lease of this script (released at the end).
# Each scenario prints one line `[chaos] <scenario> {…}` with records in / charges / duplicates / missing / totals vs
# embedded / peak RSS, and the script exits non-zero if any scenario failed. Results: bench/RESULTS.md "Chaos".
set -euo pipefail
cd "$(dirname "$0")/.."

SEED=13
SCENARIOS=()
while (($#)); do
  case "$1" in
    --seed) SEED="${2:?--seed needs a number}"; shift 2 ;;
    kill|broker|registry|rebalance|sink|poison|disk) SCENARIOS+=("$1"); shift ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
((${#SCENARIOS[@]})) || SCENARIOS=(kill broker registry rebalance sink poison disk)

bash deploy/local/services.sh up --lease $$ kafka registry >&2
trap 'bash deploy/local/services.sh release $$ >&2 || true' EXIT
eval "$(bash deploy/local/services.sh env)"
export KAFKA_BROKERS SCHEMA_REGISTRY_URL
OUT="$(mktemp -d "${TMPDIR:-/tmp}/rs-chaos-XXXXXX")"
trap 'rm -rf "$OUT"; bash deploy/local/services.sh release $$ >&2 || true' EXIT

failed=()

# runs one vitest file with the scenario's sizes in env; its `[<tag>] {…}` summary line becomes `[chaos] <scenario> {…}`
run_test() { # scenario tag file [ENV=value...]
  local scenario="$1" tag="$2" file="$3"; shift 3
  local log="$OUT/$scenario.log" t0=$SECONDS
  echo "[chaos] $scenario: running $file (seed $SEED) …" >&2
  # bench/chaos/*.test.ts: long scenarios outside `npm test` (their own vitest config); test/: the suite's own files
  local where=(--project integration --testTimeout 3600000)
  [[ "$file" == bench/chaos/* ]] && where=(--config bench/chaos/vitest.config.ts)
  if env "$@" npx vitest run "${where[@]}" "$file" >"$log" 2>&1; then
    local line; line="$(grep -o "^\[$tag\] {.*}" "$log" | tail -n1 | sed "s/^\[$tag\] //")"
    local none='{"note":"passed, no summary line"}' # (a literal `}` inside ${line:-…} would end the expansion early)
    echo "[chaos] $scenario ${line:-$none}"
  else
    echo "[chaos] $scenario FAILED after $((SECONDS - t0))s; last lines of its log:" >&2
    tail -n 40 "$log" >&2
    failed+=("$scenario")
  fi
}

not_built() {
  echo "[chaos] $1 NOT BUILT YET: $2" >&2
  failed+=("$1")
}

for s in "${SCENARIOS[@]}"; do
  case "$s" in
    # 6. 10,000 bad records of 24 kinds + 1,000 duplicates among 100,000 good ones (test/fixtures/poison.ts)
    #    + 1,000 bad Avro messages of 4 kinds among 10,000 good IoT sessions on a second raw topic
    poison) run_test poison poison test/reliability/poison.test.ts \
              RATESTREAM_POISON_GOOD=100000 RATESTREAM_POISON_BAD=10000 RATESTREAM_POISON_DUPLICATES=1000 RATESTREAM_POISON_SEED="$SEED" \
              RATESTREAM_POISON_AVRO_GOOD=10000 RATESTREAM_POISON_AVRO_BAD=1000 ;;
    # 1. 1,000,000 demo records (pooled pipeline), 20 kill -9 at seeded moments: 10 of an all-roles serve, then 10 of
    #    member A (mediate) or B (all roles) of a two-process layout; each restarted
    kill) run_test kill kill bench/chaos/serve-kill.test.ts RATESTREAM_CHAOS_KILL_RECORDS="${RATESTREAM_CHAOS_KILL_RECORDS:-1000000}" \
              RATESTREAM_CHAOS_KILLS=20 RATESTREAM_CHAOS_SEED="$SEED" ;;
    # 2. kill -9 of a (separate) broker mid-run, back after 20 s; 100,000 demo records
    #    (its own broker instance — ports 2909x, run dir .run-chaos — so a test run using `services.sh secure` is not hit)
    broker) run_test broker broker bench/chaos/broker-crash.test.ts RATESTREAM_CHAOS_DAYS=10 RATESTREAM_CHAOS_PER_DAY=10000 RATESTREAM_CHAOS_BROKER_DOWN_S=20 \
              RATESTREAM_SECURE_KAFKA_PORT=29092 RATESTREAM_SECURE_CONTROLLER_PORT=29093 RATESTREAM_SECURE_SASL_SSL_PORT=29094 \
              RATESTREAM_SECURE_RUN_DIR="$PWD/deploy/local/.run-chaos" ;;
    # 3. the registry cut (TCP proxy in front of the shared one) for 30 s mid-run of serve with 40,000 Avro IoT sessions,
    #    the second half with a schema id serve has not seen yet
    registry) run_test registry registry bench/chaos/registry-outage.test.ts RATESTREAM_CHAOS_SESSIONS=40000 RATESTREAM_CHAOS_REGISTRY_DOWN_S=30 RATESTREAM_CHAOS_SEED="$SEED" ;;
    # 4. 3 mediate,rate members joining/leaving every 1.5-4 s for 60 s over 120,000 records arriving meanwhile, pools
    #    scaled to run out during the storm (short: test/reliability/streaming-handover.test.ts)
    rebalance) run_test rebalance rebalance bench/chaos/rebalance-storm.test.ts RATESTREAM_CHAOS_REBALANCE_RECORDS=120000 \
              RATESTREAM_CHAOS_STORM_S=60 RATESTREAM_CHAOS_SEED="$SEED" ;;
    # 5. sink outage of 60 s (30 s insert errors, 30 s hanging inserts, then a lost acknowledgement), 100,000 records
    #    (short: test/reliability/streaming-sink-failure.test.ts, 8 s; no randomness beyond the demo data's)
    sink) run_test sink sink bench/chaos/sink-outage.test.ts RATESTREAM_CHAOS_SINK_OUTAGE_S=60 RATESTREAM_CHAOS_DAYS=10 RATESTREAM_CHAOS_PER_DAY=10000 ;;
    # 7. embedded run of 10 days × 10,000 demo records into a tmpfs with 16 MiB free (mounted by the test: root only)
    disk) if [[ $(id -u) -ne 0 ]]; then not_built disk "needs root: the test mounts a size-limited tmpfs"; else
            run_test disk disk test/reliability/disk-full.test.ts RATESTREAM_DISK_DAYS=10 RATESTREAM_DISK_PER_DAY=10000 RATESTREAM_DISK_FREE_MB=16; fi ;;
  esac
done

if ((${#failed[@]})); then echo "[chaos] failed or not built: ${failed[*]}" >&2; exit 1; fi
echo "[chaos] all passed" >&2
