#!/bin/sh
# The index as a user's archive really builds it (issue 17): N bench/gen
# posts ingested with indexing in B batches, never rebuilt (the merge policy
# alone keeps it compact), then `index --rebuild`, then a disposition of the
# oldest 80%. Reports index bytes per record, wall rates and what the
# disposition cost the index; appends a markdown table to bench/out/index.md.
#   BENCH_INDEX_N        posts (default 1000000)
#   BENCH_INDEX_BATCHES  ingests they arrive in (default 100)
#   BENCH_INDEX_RUNS     rebuilds, median quoted (default 3)
#   BUILD                build tree holding bench/gen (default: where ./custos points)
set -eu
N=${BENCH_INDEX_N:-1000000}
B=${BENCH_INDEX_BATCHES:-100}
RUNS=${BENCH_INDEX_RUNS:-3}
. bench/lib.sh
bench_paths index
command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 1; }
TIMEV=/usr/bin/time
[ -x $TIMEV ] || TIMEV=
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$LOG"
A=$WORK/archive
ibytes() { du -sb "$A/index" | cut -f1; }
load() { cut -d" " -f1 /proc/loadavg; }
parts() { grep -c "^part " "$A/index/MANIFEST"; }

say "bench: index, N=$N in $B ingests, load $(load)"
"$GEN" --format ndjson --count "$N" --seed 1 >"$WORK/posts.ndjson"
LINES=$(( (N + B - 1) / B ))
split -l "$LINES" -d -a 4 "$WORK/posts.ndjson" "$WORK/batch."
"$CUSTOS" --archive "$A" init >/dev/null

# ---- built as a user builds it: ingests with indexing, never rebuilt --------
L0=$(load)
T=0; C=0; i=0
for f in "$WORK"/batch.*; do
	i=$((i + 1))
	run_timed "$WORK/ingest.out" "$CUSTOS" --archive "$A" ingest "$f"
	T=$(calc "$T + $SECS"); C=$(calc "$C + ${CPU:-0}")
	[ $((i % 10)) = 0 ] && say "bench:   ingest $i/$B: $(thou "$(ibytes)") index bytes, ${T}s so far, load $(load)"
done
L1=$(load)
BUILT=$(ibytes)
BUILT_PARTS=$(parts)
BUILT_PER=$(calc "$BUILT / $N")
ING_RATE=$(calc "$N / $T")
say "bench: built: index $(thou "$BUILT") B ($(fmt "$BUILT_PER") B/record, $(parts) partitions), ingest with indexing $(fmt "$ING_RATE") records/s wall (${T}s, ${C}s cpu), load $L0 -> $L1"

# ---- index --rebuild, median of RUNS ------------------------------------------
RATES=""; SECS_ALL=""; LOADS=""
r=1
while [ $r -le "$RUNS" ]; do
	LOADS="$LOADS $(load)"
	run_timed "$WORK/rebuild.out" "$CUSTOS" --archive "$A" index --rebuild
	RATES="$RATES $(calc "$N / $SECS")"; SECS_ALL="$SECS_ALL $(fmt "$SECS" 1)"
	say "bench:   rebuild $r/$RUNS: ${SECS}s wall, ${CPU:-?}s cpu, load $(load)"
	r=$((r + 1))
done
REB_RATE=$(echo "$RATES" | median)
REBUILT=$(ibytes)
REBUILT_PER=$(calc "$REBUILT / $N")

# ---- disposition of the oldest 80% --------------------------------------------
CUT=$(jq -r .created_at "$WORK/posts.ndjson" | sort | awk '{ a[NR] = $0 } END { print a[int(NR * 0.8)] }')
# a schedule is in force from when it is set: retain for the days since CUT
DAYS=$(( ($(date +%s) - $(date -d "$CUT" +%s)) / 86400 ))
ASOF="retain ${DAYS}d, records older than ${CUT%%T*}"
printf 'rules:\n  - name: default\n    match: "*"\n    retain: %sd\n' "$DAYS" >"$WORK/r.yaml"
"$CUSTOS" --archive "$A" policy set "$WORK/r.yaml" -m bench >/dev/null
grep "^part " "$A/index/MANIFEST" | cut -d" " -f2,3 | sort >"$WORK/parts.before"
IB=$(ibytes)
DL=$(load)
run_timed "$WORK/apply.json" "$CUSTOS" --archive "$A" retention apply --yes --json
D_SECS=$SECS
D_IDX=$(jq -r '.seconds.index // empty' "$WORK/apply.json" 2>/dev/null || true)
D_N=$(jq -r '.disposed.records // empty' "$WORK/apply.json" 2>/dev/null || true)
IA=$(ibytes)
grep "^part " "$A/index/MANIFEST" | cut -d" " -f2,3 | sort >"$WORK/parts.after"
P_ALL=$(wc -l <"$WORK/parts.before")
P_SAME=$(comm -12 "$WORK/parts.before" "$WORK/parts.after" | wc -l)
P_GONE=$(join -v1 "$WORK/parts.before" "$WORK/parts.after" | wc -l)
P_REWR=$((P_ALL - P_SAME - P_GONE))
say "bench: disposed ${D_N:-?} ($ASOF) in ${D_SECS}s, index ${D_IDX:-?}s; index $(thou "$IB") -> $(thou "$IA") B; partitions: $P_ALL, $P_GONE dropped, $P_REWR rewritten, $P_SAME untouched; load $DL"

{
	echo "### Index, $(thou "$N") bench/gen posts in $B ingests ($(date -u +%Y-%m-%d), custos $(git rev-parse --short HEAD 2>/dev/null || echo ?))"
	echo
	echo "| figure | value |"
	echo "|---|---|"
	echo "| index per record as built ($B ingests with indexing, never rebuilt) | **$(fmt "$BUILT_PER") B** ($(thou "$BUILT") B, $BUILT_PARTS partitions) |"
	echo "| index per record after \`index --rebuild\` | $(fmt "$REBUILT_PER") B |"
	echo "| ingest with indexing, wall | $(thou "$(fmt "$ING_RATE")") records/s ($(fmt "$T" 1) s wall, $(fmt "$C" 1) s cpu; load $L0 at the start, $L1 at the end) |"
	echo "| \`index --rebuild\`, wall, median of $RUNS | $(thou "$(fmt "$REB_RATE")") records/s (runs:$SECS_ALL s; load at each start:$LOADS) |"
	echo "| disposition of the oldest 80% (${D_N:-?} records: $ASOF) | ${D_SECS} s wall, index ${D_IDX:-?} s; index $(thou "$IB") → $(thou "$IA") B; of $P_ALL partitions $P_GONE dropped, $P_REWR rewritten, $P_SAME untouched (load $DL) |"
	echo
} | tee -a "$RES"
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
