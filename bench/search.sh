#!/bin/sh
# Search benchmark (issue 4 "Figures"): custos against SQLite FTS5 and a naive
# Xapian indexer in one run (bench/search_peers.c), then through the CLI:
# `custos index --rebuild` on an archive of N generated posts, and the time
# from capture to searchable while batches of 1,000 records are ingested
# every second. Prints a markdown table and writes bench/out/search.md.
#
#   make && make bench-build && sh bench/search.sh
#
# Environment:
#   BENCH_N        records (default 1000000)
#   BENCH_RUNS     runs of the query mix per engine (default 10)
#   BENCH_MARKERS  marker records timed under steady load (default 10)
#   BENCH_PEERS_REUSE=1  take the peers' figures from bench/out/peers.txt
#                  (a finished search_peers run of the same N) instead of
#                  running it again
#   BUILD          build tree holding bench/ (default: where ./custos points)
set -eu

N=${BENCH_N:-1000000}
RUNS=${BENCH_RUNS:-10}
MARKERS=${BENCH_MARKERS:-10}
. bench/lib.sh
bench_paths search
PEERS=$BUILD/bench/search_peers
[ -x "$PEERS" ] || { echo "search.sh: $PEERS missing: run 'make bench-build'" >&2; exit 1; }
for t in jq split; do
	command -v $t >/dev/null || { echo "search.sh: $t is needed" >&2; exit 1; }
done
TIMEV=/usr/bin/time
[ -x $TIMEV ] || { echo "search.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }

mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$LOG"
T_START=$(date +%s)

# met VALUE LIMIT OP: **met** or **missed**
met() { awk -v v="$1" -v l="$2" -v op="$3" 'BEGIN { if (v == "?") { print "?"; exit }
	ok = (op == "<=") ? (v + 0 <= l + 0) : (v + 0 >= l + 0); print ok ? "**met**" : "**missed**" }'; }

# timed OUTFILE CMD...: SECS (wall) and CPU (user + sys) from /usr/bin/time
timed() {
	o=$1; shift
	$TIMEV -f '%e %U %S' -o "$WORK/time.txt" "$@" >"$o" 2>>"$LOG" || { say "search.sh: failed: $*"; return 1; }
	SECS=$(awk '{ print $1 }' "$WORK/time.txt")
	CPU=$(awk '{ print $2 + $3 }' "$WORK/time.txt")
}

MODEL=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
NCPU=$(nproc)
REV=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
say "search.sh: N=$N runs=$RUNS markers=$MARKERS; $MODEL, $NCPU cores, custos $REV; load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. custos, FTS5 and naive Xapian on the same records ------------------
if [ "${BENCH_PEERS_REUSE:-0}" = 1 ] && [ -s "$OUT/peers.txt" ]; then
	say "search.sh: peers: reusing $OUT/peers.txt"
else
	say "search.sh: peers: search_peers -n $N --runs $RUNS"
	"$PEERS" -n "$N" --runs "$RUNS" -d "$WORK/peers" >"$OUT/peers.txt" 2>>"$LOG"
fi
P=$OUT/peers.txt
[ "$(awk '$1 == "RESULT" && $2 == "n" { print $3 }' "$P")" = "$N" ] ||
	{ say "search.sh: $P is not a run of $N records"; exit 1; }
r() { v=$(awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }' "$P"); echo "${v:-?}"; }

# ---- 2. index --rebuild on an archive of N records ------------------------
say "search.sh: generating $N posts (ndjson)"
"$GEN" --format ndjson --count "$N" >"$WORK/posts.ndjson"
ARCH=$WORK/arch
"$CUSTOS" --archive "$ARCH" init >/dev/null
say "search.sh: ingest --no-index"
timed "$WORK/ingest.json" "$CUSTOS" --archive "$ARCH" ingest --no-index --json "$WORK/posts.ndjson"
ING_SECS=$SECS; ING_CPU=$CPU
ADDED=$(jq -r .added "$WORK/ingest.json")
say "search.sh: index --rebuild"
timed "$WORK/rebuild.json" "$CUSTOS" --archive "$ARCH" index --rebuild --json
RB_SECS=$SECS; RB_CPU=$CPU
RB_N=$(jq -r .indexed "$WORK/rebuild.json")
RB_RATE=$(calc "$RB_N / $RB_SECS")
RB_CPUUS=$(calc "$RB_CPU * 1e6 / $RB_N")
IDX_BYTES=$(du -sb "$ARCH/index" 2>/dev/null | awk '{ print $1 }')
say "search.sh: rebuild: $RB_N versions in $RB_SECS s (cpu $RB_CPU s)"

# ---- 3. capture to searchable under steady load ----------------------------
# batches of 1,000 new posts (another seed: new ids), one `custos ingest`
# started every second in the background, for as long as the markers take
NB=$((MARKERS * 4 + 20))
"$GEN" --format ndjson --count $((NB * 1000)) --seed 7 >"$WORK/load.ndjson"
mkdir -p "$WORK/batches"
split -l 1000 -d -a 4 "$WORK/load.ndjson" "$WORK/batches/b"
rm -f "$WORK/load.ndjson"
(
	for b in "$WORK"/batches/b*; do
		[ -e "$WORK/stop" ] && break
		"$CUSTOS" --archive "$ARCH" ingest "$b" >/dev/null 2>>"$LOG" &
		echo "$b" >>"$WORK/started"
		sleep 1
	done
	wait
) &
LOADER=$!
sleep 3
head -n 1 "$WORK/posts.ndjson" >"$WORK/template.ndjson"
SEARCHABLE=""
i=1
while [ $i -le "$MARKERS" ]; do
	w="zqmarker${i}x$$"
	jq -c --arg w "$w" --arg i "99$$$i" '.id = (.id + $i) | .text = ("capture probe " + $w) | del(.url)' \
		"$WORK/template.ndjson" >"$WORK/marker$i.ndjson"
	t0=$(now_ns)
	"$CUSTOS" --archive "$ARCH" ingest "$WORK/marker$i.ndjson" >/dev/null 2>>"$LOG" &
	MP=$!
	while :; do
		c=$("$CUSTOS" --archive "$ARCH" search --count "$w" 2>/dev/null || echo 0)
		[ "$c" = 1 ] && break
		if [ $(( ($(now_ns) - t0) / 1000000000 )) -gt 120 ]; then
			c=lost; break
		fi
		sleep 0.02
	done
	ms=$(( ($(now_ns) - t0) / 1000000 ))
	wait $MP || true
	if [ "$c" = lost ]; then
		say "search.sh: marker $i not searchable after 120 s"
	else
		say "search.sh: marker $i searchable after $ms ms"
		SEARCHABLE="$SEARCHABLE $ms"
	fi
	sleep 1.5
	i=$((i + 1))
done
touch "$WORK/stop"
wait $LOADER || true
TTS_MED=$(echo "$SEARCHABLE" | median)
TTS_MAX=$(echo "$SEARCHABLE" | tr ' ' '\n' | sort -g | tail -n 1)
BATCHES=$(wc -l <"$WORK/started")

T_TOTAL=$(( $(date +%s) - T_START ))

# ---- the table ---------------------------------------------------------------
row() {   # engine label
	e=$1
	printf '| %s | %s/s (CPU %s µs/record) | %s B | %s / %s ms (CPU %s) | %s / %s ms (CPU %s) |\n' "$2" \
		"$(thou "$(fmt "$(r "${e}_rate")")")" \
		"$(fmt "$(calc "$(r "${e}_index_cpu_s") * 1e6 / $N")")" \
		"$(fmt "$(r "${e}_bytes")")" \
		"$(fmt "$(r "${e}_relevance_p50")" 2)" "$(fmt "$(r "${e}_relevance_p99")" 1)" \
		"$(fmt "$(r "${e}_relevance_cpu_p50")" 2)" \
		"$(fmt "$(r "${e}_newest_p50")" 2)" "$(fmt "$(r "${e}_newest_p99")" 1)" \
		"$(fmt "$(r "${e}_newest_cpu_p50")" 2)"
}
RATIO_R=$(calc "$(r custos_relevance_p50) / $(r fts5_relevance_p50)")
RATIO_N=$(calc "$(r custos_newest_p50) / $(r fts5_newest_p50)")
RATIO_RC=$(calc "$(r custos_relevance_cpu_p50) / $(r fts5_relevance_cpu_p50)")
RATIO_NC=$(calc "$(r custos_newest_cpu_p50) / $(r fts5_newest_cpu_p50)")
{
cat <<EOF
### Search, $(date -u +%Y-%m-%d): $(thou "$N") generated posts (custos $REV)

Machine: $MODEL, $NCPU cores, shared with other jobs. Whole run: $T_TOTAL s.
Query mix: $(r queries) queries (rare and common words, AND, OR, NOT, phrase,
wildcard, field filters, date ranges, two with platform and year facets), limit
20 with the exact total, each run $(r runs) times per engine and order, the
engines interleaved; latencies are over all $(r queries) × $(r runs) timings,
wall clock (process CPU time beside the p50).

| engine | index rate (wall) | size/record (compacted) | relevance p50 / p99 | newest-first p50 / p99 |
|---|---|---|---|---|
$(row custos "custos (indexer, shard threads)")
$(row fts5 "SQLite FTS5 (one transaction, optimize + VACUUM)")
$(row naive_xapian "naive Xapian (TermGenerator, one commit)")

custos p50 / FTS5 p50: relevance **$(fmt "$RATIO_R" 2)×** (CPU $(fmt "$RATIO_RC" 2)×),
newest-first **$(fmt "$RATIO_N" 2)×** (CPU $(fmt "$RATIO_NC" 2)×).
Sizes before compaction: custos $(fmt "$(r custos_bytes_before)") B, FTS5 $(fmt "$(r fts5_bytes_before)") B,
naive Xapian $(fmt "$(r naive_xapian_bytes_before)") B per record.

| through the CLI | figure |
|---|---|
| \`ingest --no-index\` of $(thou "$ADDED") generated posts (bench/gen ndjson) | $(fmt "$ING_SECS" 1) s wall, $(fmt "$ING_CPU" 1) s CPU |
| \`custos index --rebuild\` of those ($(thou "$RB_N") record versions) | **$(thou "$(fmt "$RB_RATE")") records/s** wall ($(fmt "$RB_SECS" 1) s; CPU $(fmt "$RB_CPU" 1) s = $(fmt "$RB_CPUUS") µs/record); index $(fmt "$(calc "$IDX_BYTES / $RB_N")") B/record uncompacted |
| capture to searchable under steady load (\`custos ingest\` of 1,000 records started every second, $BATCHES batches; $MARKERS markers, each ingested alone and polled with \`search --count\`) | median **$(fmt "$TTS_MED") ms**, max $(fmt "$TTS_MAX") ms |

| target | measured | |
|---|---|---|
| index ≥ 8,000 records/s on both cores | $(thou "$(fmt "$(r custos_rate)")")/s (index_bench path); rebuild $(thou "$(fmt "$RB_RATE")")/s | $(met "$(r custos_rate)" 8000 ">=") / $(met "$RB_RATE" 8000 ">=") |
| ≤ 600 B/record compacted | $(fmt "$(r custos_bytes)") B | $(met "$(r custos_bytes)" 600 "<=") |
| relevance p50 ≤ 3 ms | $(fmt "$(r custos_relevance_p50)" 2) ms | $(met "$(r custos_relevance_p50)" 3 "<=") |
| relevance p99 ≤ 50 ms | $(fmt "$(r custos_relevance_p99)" 1) ms | $(met "$(r custos_relevance_p99)" 50 "<=") |
| newest-first p50 ≤ 5 ms | $(fmt "$(r custos_newest_p50)" 2) ms | $(met "$(r custos_newest_p50)" 5 "<=") |
| newest-first p99 ≤ 50 ms | $(fmt "$(r custos_newest_p99)" 1) ms | $(met "$(r custos_newest_p99)" 50 "<=") |
| p50 ≤ 0.5× FTS5 (relevance) | $(fmt "$RATIO_R" 2)× | $(met "$RATIO_R" 0.5 "<=") |
| p50 ≤ 0.5× FTS5 (newest-first) | $(fmt "$RATIO_N" 2)× | $(met "$RATIO_N" 0.5 "<=") |

Per query, median wall ms over the runs (hits: custos / FTS5 / naive Xapian):

| # | query | hits | custos rel / new | FTS5 rel / new | naive Xapian rel / new |
|---|---|---|---|---|---|
EOF
awk -F'\t' '$1 ~ /^QUERY/ { split($1, a, " "); q = substr($1, length(a[1]) + length(a[2]) + 3)
	printf "| %s | `%s` | %s / %s / %s | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |\n", a[2], q,
	$2, $6, $10, $3, $5, $7, $9, $11, $13 }' "$P"
} >"$RES"
cat "$RES"
say "search.sh: wrote $RES in $T_TOTAL s"
