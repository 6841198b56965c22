#!/bin/sh
# Production benchmarks (issue 14 "Figures"): `dat` with natives and text,
# `jsonl`, PDF renderings per second, and the export's peak memory at each
# size. Run by `make bench` after bench/run.sh, or alone:
#   sh bench/export.sh                     (100,000 and 1,000,000 records)
#   BENCH_EXPORT_N="20000" sh bench/export.sh
# Writes bench/out/export.md; BENCHMARKS.md says what each figure means.
# Knobs: BENCH_EXPORT_N (sizes), BENCH_PDF_N (records given --images,
# default 2,000), BENCH_SEED, BENCH_KEEP=1 (keep bench/out/export-work),
# BENCH_NO_DAT=1 (jsonl alone: no million files to write and remove).
set -eu

SIZES=${BENCH_EXPORT_N:-"100000 1000000"}
PDF_N=${BENCH_PDF_N:-2000}
SEED=${BENCH_SEED:-1}
. bench/lib.sh
bench_paths export
TIMEV=/usr/bin/time
[ -x "$TIMEV" ] || { echo "bench: $TIMEV missing (apt-get install time)" >&2; exit 1; }
mkdir -p "$OUT"
rm -rf "$WORK"
mkdir -p "$WORK"
: >"$LOG"


# every record the generator writes is dated 2019..2024
ALL="date:1900-01-01..2199-12-31"
ROWS=""
for N in $SIZES; do
	A=$WORK/a$N
	say "bench: export at $N records: generating and ingesting"
	"$GEN" --format ndjson --count "$N" --seed "$SEED" >"$WORK/posts.ndjson"
	"$CUSTOS" --archive "$A" init >/dev/null
	"$CUSTOS" --archive "$A" ingest --format ndjson "$WORK/posts.ndjson" >/dev/null
	rm -f "$WORK/posts.ndjson"
	R=$("$CUSTOS" --archive "$A" search --count "$ALL")
	sync
	run_timed "$WORK/o" "$CUSTOS" --archive "$A" export "$ALL" --format jsonl --out "$WORK/jsonl$N"
	J_SECS=$SECS J_CPU=$CPU J_RSS=$RSS_KB J_ANON=$ANON_KB
	J_BYTES=$(stat -c %s "$WORK/jsonl$N/records.jsonl")
	rm -rf "$WORK/jsonl$N"
	if [ "${BENCH_NO_DAT:-0}" = 1 ]; then
		D_SECS=0 D_CPU=0 D_RSS=0 D_ANON=0 D_FILES=0
	else
		sync
		run_timed "$WORK/o" "$CUSTOS" --archive "$A" export "$ALL" --format dat --out "$WORK/dat$N"
		D_SECS=$SECS D_CPU=$CPU D_RSS=$RSS_KB D_ANON=$ANON_KB
		D_FILES=$(jq '.files | length' "$WORK/dat$N/manifest.json")
		"$CUSTOS" export --verify "$WORK/dat$N" >"$WORK/verify.txt" 2>>"$LOG" ||
			{ say "bench: the dat production of $N records does not verify"; exit 1; }
		rm -rf "$WORK/dat$N"
	fi
	ROWS="$ROWS
| $(thou "$N") | $(thou "$R") | **$(thou "$(fmt "$(calc "$R / $D_SECS")")")/s** ($(fmt "$D_SECS" 1) s wall, $(thou "$(fmt "$(calc "$R / $D_CPU")")")/s per CPU s; $(thou "$D_FILES") files) | $(fmt "$(calc "$D_RSS / 1024")" 1) MB ($(fmt "$(calc "$D_ANON / 1024")" 1) MB) | **$(thou "$(fmt "$(calc "$R / $J_SECS")")")/s** ($(fmt "$J_SECS" 1) s wall, $(thou "$(fmt "$(calc "$R / $J_CPU")")")/s per CPU s; $(fmt "$(calc "$J_BYTES / 1048576")" 0) MiB) | $(fmt "$(calc "$J_RSS / 1024")" 1) MB ($(fmt "$(calc "$J_ANON / 1024")" 1) MB) |"
	LAST=$A
done

# PDF renderings: the first PDF_N records by date, dat with --images against
# dat alone, both on the same records
say "bench: PDF renderings of $PDF_N records"
Q=$("$CUSTOS" --archive "$LAST" search --json --sort date --limit "$PDF_N" "$ALL" |
	jq -r '[.hits[-1].created_at] | .[0]' | cut -c1-10)
PQ="date:1900-01-01..$Q"
PR=$("$CUSTOS" --archive "$LAST" search --count "$PQ")
run_timed "$WORK/o" "$CUSTOS" --archive "$LAST" export "$PQ" --format dat --out "$WORK/p0"
P0=$SECS
run_timed "$WORK/o" "$CUSTOS" --archive "$LAST" export "$PQ" --format dat --images --out "$WORK/p1"
P1=$SECS P1_CPU=$CPU P1_RSS=$RSS_KB
PAGES=$(jq .pages "$WORK/p1/manifest.json")
[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$WORK"

cat >"$RES" <<EOF
## Productions ($(date -u +%Y-%m-%d), \`sh bench/export.sh\`, seed $SEED)

Generated posts (\`bench/gen --format ndjson\`), ingested and indexed; the
export selects every record (\`$ALL\`) into a new directory on the same disk.
Load average at the end: $(cut -d" " -f1-3 /proc/loadavg) (2 cores, shared).

| records in the archive | produced | \`dat\` with NATIVES/ and TEXT/ | peak RSS | \`jsonl\` | peak RSS |
|---|---|---|---|---|---|$ROWS

PDF images (\`--images\`, cairo and pango): $(thou "$PR") records, $PAGES pages,
$(fmt "$P1" 1) s with images against $(fmt "$P0" 1) s without: **$(fmt "$(calc "$PR / ($P1 - $P0)")") renderings/s**
($(fmt "$(calc "$PR / $P1")") records/s end to end; peak RSS $(fmt "$(calc "$P1_RSS / 1024")" 1) MB).
EOF
cat "$RES"
