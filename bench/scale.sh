#!/bin/sh
# The archive at scale (issue 17): N bench/gen posts ingested store-only in
# batches of B, one `bench/gen --count N` stream cut into batch files by
# `split --filter` (a batch is written, ingested and deleted before the next
# is generated: the whole input is never on disk). After every batch (the
# checkpoints B, 2B, ... N): the store's files and payload per record, the
# batch's ingest rate (wall and CPU) and its peak memory. At the index
# checkpoints (by default the first and the last): `custos index --rebuild`
# of the whole archive (rate, peak memory, index bytes per record) and
# `custos verify`. Prints a markdown table, with the ratio of the last
# checkpoint's per-record figures to the first's, to bench/out/scale.md.
#   BENCH_SCALE_N         posts (default 10000000)
#   BENCH_SCALE_BATCH     posts a batch (default 1000000)
#   BENCH_SCALE_INDEX_AT  the checkpoints (record counts) where the index is
#                         rebuilt and the archive verified (default "B N")
#   BENCH_SEED            generator seed (default 1)
#   BENCH_KEEP=1          keep the archive in bench/out/scale-work
#   BENCH_SCALE_RESUME=1  go on from the archive a stopped run kept
#                         (BENCH_KEEP=1): the stream is generated again
#                         from its start, the batches already held skipped
#   BUILD                 build tree holding bench/gen (default: where ./custos points)
# Needs jq, GNU split (--filter) and /usr/bin/time (GNU time) for CPU and
# memory figures. At 10,000,000 it needs ~16 GB of disk (store 5.6 GB, index
# 6.4 GB, one batch of 1.35 GB, the old index during a rebuild) and took an
# hour on 2 shared cores (load 6-13), 35 minutes of it the 10M rebuild.
set -eu

# ---- one batch: run by split --filter with the batch on stdin -------------
if [ "${1:-}" = step ]; then
	. "$SCALE_TOP/bench/lib.sh"
	WORK=$SCALE_WORK; LOG=$SCALE_LOG; TIMEV=$SCALE_TIMEV; A=$WORK/archive
	CUSTOS=$SCALE_TOP/custos
	f=$2
	# a resumed run skips the batches the archive already holds
	k=${f##*.}
	while [ "${k#0}" != "$k" ] && [ ${#k} -gt 1 ]; do k=${k#0}; done
	END=$(( (k + 1) * SCALE_B ))
	[ "$END" -gt "$SCALE_N" ] && END=$SCALE_N
	if [ "$END" -le "$(cat "$WORK/prev")" ]; then
		cat >/dev/null
		exit 0
	fi
	t0=$(now_ns)
	cat >"$f"
	GEN_S=$(calc "($(now_ns) - $t0) / 1e9")
	LD=$(cut -d" " -f1-3 /proc/loadavg)
	run_timed "$WORK/ingest.json" "$CUSTOS" --archive "$A" ingest --no-index --json \
		--format ndjson "$f"
	rm -f "$f"
	"$CUSTOS" --archive "$A" stats --json >"$WORK/stats.json"
	TOTAL=$(jq -r .versions "$WORK/stats.json")
	FB=$(jq -r .file_bytes "$WORK/stats.json")
	SB=$(jq -r .stored_bytes "$WORK/stats.json")
	PREV=$(cat "$WORK/prev")
	NB=$((TOTAL - PREV))
	echo "$TOTAL" >"$WORK/prev"
	# records batch gen_s wall cpu rss_kb anon_kb file_bytes stored_bytes load1 load5 load15
	echo "$TOTAL $NB $GEN_S $SECS $CPU $RSS_KB $ANON_KB $FB $SB $LD" >>"$WORK/ingest.tsv"
	say "bench:   $(thou "$TOTAL") records: batch of $(thou "$NB") in ${SECS}s wall, ${CPU}s cpu (generated in $(fmt "$GEN_S" 1)s); store $(fmt "$(calc "$FB / $TOTAL")" 1) B/record; peak RSS $RSS_KB kB, anon $ANON_KB kB; load $LD"
	case " $SCALE_INDEX_AT " in
	*" $TOTAL "*)
		LD=$(cut -d" " -f1-3 /proc/loadavg)
		run_timed "$WORK/rebuild.json" "$CUSTOS" --archive "$A" index --rebuild --json
		R_SECS=$SECS; R_CPU=$CPU; R_RSS=$RSS_KB; R_ANON=$ANON_KB
		IB=$(du -sb "$A/index" | cut -f1)
		PARTS=$(grep -c "^part " "$A/index/MANIFEST" || true)
		say "bench:   $(thou "$TOTAL") records: index --rebuild ${R_SECS}s wall, ${R_CPU}s cpu, index $(thou "$IB") B in $PARTS partitions; peak RSS $R_RSS kB, anon $R_ANON kB; load $LD"
		LV=$(cut -d" " -f1-3 /proc/loadavg)
		run_timed "$WORK/verify.json" "$CUSTOS" --archive "$A" verify --json
		[ "$(jq -r .ok "$WORK/verify.json")" = true ] || { say "bench: verify failed"; exit 1; }
		say "bench:   $(thou "$TOTAL") records: verify ${SECS}s wall, ${CPU}s cpu; peak RSS $RSS_KB kB, anon $ANON_KB kB; load $LV"
		# records index_bytes parts r_wall r_cpu r_rss r_anon v_wall v_cpu v_rss v_anon load1 load5 load15 (rebuild) load1 load5 load15 (verify)
		echo "$TOTAL $IB $PARTS $R_SECS $R_CPU $R_RSS $R_ANON $SECS $CPU $RSS_KB $ANON_KB $LD $LV" >>"$WORK/index.tsv"
		;;
	esac
	exit 0
fi

# ---- the run ------------------------------------------------------------------
N=${BENCH_SCALE_N:-10000000}
B=${BENCH_SCALE_BATCH:-1000000}
SEED=${BENCH_SEED:-1}
. bench/lib.sh
bench_paths scale
LAST=$(( (N + B - 1) / B * B ))
[ "$LAST" -gt "$N" ] && LAST=$N
INDEX_AT=${BENCH_SCALE_INDEX_AT:-"$B $LAST"}
command -v jq >/dev/null || { echo "bench: jq is needed" >&2; exit 1; }
echo | split --filter=cat -l 1 >/dev/null 2>&1 ||
	{ echo "bench: GNU split (--filter) is needed" >&2; exit 1; }
TIMEV=/usr/bin/time
[ -x $TIMEV ] || { echo "bench: /usr/bin/time missing (apt-get install time): no CPU or memory figures" >&2; TIMEV=; }
mkdir -p "$OUT"
A=$WORK/archive
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo ?)
L_START=$(cut -d" " -f1-3 /proc/loadavg)
if [ -n "${BENCH_SCALE_RESUME:-}" ]; then
	[ -s "$WORK/prev" ] && [ -s "$WORK/t0" ] ||
		{ echo "bench: nothing to resume in $WORK" >&2; exit 1; }
	T0=$(cat "$WORK/t0")
	RESUMED=" (resumed at $(date -u +%H:%MZ) from $(thou "$(cat "$WORK/prev")") records)"
	say "bench: scale, resumed from $(cat "$WORK/prev") records, index at: $INDEX_AT; custos $COMMIT; load $L_START"
else
	rm -rf "$WORK"
	mkdir -p "$WORK"
	: >"$LOG"
	"$CUSTOS" --archive "$A" init >/dev/null
	echo 0 >"$WORK/prev"
	: >"$WORK/ingest.tsv"
	: >"$WORK/index.tsv"
	T0=$(date -u +%Y-%m-%dT%H:%MZ)
	echo "$T0" >"$WORK/t0"
	RESUMED=
	say "bench: scale, N=$N in batches of $B, index at: $INDEX_AT; custos $COMMIT; $T0, load $L_START"
fi
[ -n "${BENCH_KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT

export SCALE_N="$N" SCALE_B="$B" SCALE_TOP="$TOP" SCALE_WORK="$WORK" SCALE_LOG="$LOG" SCALE_TIMEV="$TIMEV" \
	SCALE_INDEX_AT="$INDEX_AT" SCALE_SELF="$TOP/bench/scale.sh"
s0=$(now_ns)
"$GEN" --format ndjson --count "$N" --seed "$SEED" |
	split -l "$B" -d -a 4 --filter='sh "$SCALE_SELF" step "$FILE"' - "$WORK/batch."
WALL=$(calc "($(now_ns) - $s0) / 1e9")
T1=$(date -u +%Y-%m-%dT%H:%MZ)
L_END=$(cut -d" " -f1-3 /proc/loadavg)
TOTAL=$(cat "$WORK/prev")
[ "$TOTAL" = "$N" ] || { say "bench: $TOTAL records stored, not $N"; exit 1; }

# ---- the table ------------------------------------------------------------------
MB() { fmt "$(calc "$1 / 1024")" 1; }
# the per-record figures of a checkpoint row of ingest.tsv
irow() { awk -v r="$1" '$1 == r' "$WORK/ingest.tsv"; }
xrow() { awk -v r="$1" '$1 == r' "$WORK/index.tsv"; }
ratio() { calc "$2 / $1"; }
# every figure is a cost: lower than at the first checkpoint is within too
within() { awk -v r="$1" 'BEGIN { if (r == "?" || r == "") print "?"; else if (r < 0.9) print "**yes** (lower)"; else if (r <= 1.1) print "**yes**"; else print "**no**" }'; }
FIRST=$(head -n1 "$WORK/ingest.tsv" | cut -d" " -f1)
{
	echo "### Scale: $(thou "$N") bench/gen posts (seed $SEED) in batches of $(thou "$B") ($T0 to $T1$RESUMED, custos $COMMIT)"
	echo
	echo "Store-only ingests (\`custos ingest --no-index\`), one a batch; load average (1, 5, 15 min) $L_START at the start, $L_END at the end; $(fmt "$WALL") s in all${RESUMED:+ since resumed}."
	echo "Peak RSS is /usr/bin/time's maximum resident set (it counts the LMDB pages the process maps and touches); anon is the peak of RssAnon (heap and stacks) sampled every 0.2 s."
	echo
	echo "| records | store files, B/record | stored payload, B/record | batch ingest, records/s wall | records per CPU second | CPU µs/record | peak RSS, MB | peak anon, MB | load (1 min) |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while read -r r nb gs w c rss anon fb sb l1 l5 l15; do
		echo "| $(thou "$r") | $(fmt "$(calc "$fb / $r")" 1) | $(fmt "$(calc "$sb / $r")" 1) | $(thou "$(fmt "$(calc "$nb / $w")")") | $(thou "$(fmt "$(calc "$nb / $c")")") | $(fmt "$(calc "$c / $nb * 1e6")" 1) | $(MB "$rss") | $(MB "$anon") | $l1 |"
	done <"$WORK/ingest.tsv"
	echo
	echo "Index rebuilt and archive verified at the index checkpoints (\`custos index --rebuild\` of the whole archive, then \`custos verify\`; index bytes are \`du -sb\` of \`<archive>/index\`):"
	echo
	echo "| records | index, B/record (partitions) | rebuild, records/s wall | rebuild, per CPU second | rebuild peak RSS / anon, MB | verify, s wall / CPU | verify, records per CPU second | verify peak RSS / anon, MB | load (1 min) rebuild, verify |"
	echo "|---|---|---|---|---|---|---|---|---|"
	while read -r r ib p rw rc rr ra vw vc vr va a1 a5 a15 b1 b5 b15; do
		echo "| $(thou "$r") | $(fmt "$(calc "$ib / $r")" 1) ($p) | $(thou "$(fmt "$(calc "$r / $rw")")") | $(thou "$(fmt "$(calc "$r / $rc")")") | $(MB "$rr") / $(MB "$ra") | $(fmt "$vw" 1) / $(fmt "$vc" 1) | $(thou "$(fmt "$(calc "$r / $vc")")") | $(MB "$vr") / $(MB "$va") | $a1, $b1 |"
	done <"$WORK/index.tsv"
	echo
	# the first and the last checkpoint, side by side
	set -- $(irow "$FIRST"); f_r=$1 f_nb=$2 f_w=$4 f_c=$5 f_rss=$6 f_anon=$7 f_fb=$8 f_sb=$9
	set -- $(irow "$TOTAL"); l_r=$1 l_nb=$2 l_w=$4 l_c=$5 l_rss=$6 l_anon=$7 l_fb=$8 l_sb=$9
	MAXANON=$(awk '$7 > m { m = $7 } END { print m + 0 }' "$WORK/ingest.tsv")
	MAXRSS=$(awk '$6 > m { m = $6 } END { print m + 0 }' "$WORK/ingest.tsv")
	echo "The last checkpoint against the first (ratio = at $(thou "$l_r") ÷ at $(thou "$f_r"); the issue asks for the per-record figures within 10%):"
	echo
	echo "| figure | at $(thou "$f_r") | at $(thou "$l_r") | ratio | within 10% |"
	echo "|---|---|---|---|---|"
	line() { r=$(ratio "$2" "$3"); echo "| $1 | $(fmt "$2" "$4") | $(fmt "$3" "$4") | $(fmt "$r" 3) | $(within "$r") |"; }
	line "store files, B/record" "$(calc "$f_fb / $f_r")" "$(calc "$l_fb / $l_r")" 1
	line "stored payload, B/record" "$(calc "$f_sb / $f_r")" "$(calc "$l_sb / $l_r")" 1
	line "ingest, CPU µs/record (that batch)" "$(calc "$f_c / $f_nb * 1e6")" "$(calc "$l_c / $l_nb * 1e6")" 2
	line "ingest, wall µs/record (that batch)" "$(calc "$f_w / $f_nb * 1e6")" "$(calc "$l_w / $l_nb * 1e6")" 2
	line "ingest peak RSS, MB" "$(calc "$f_rss / 1024")" "$(calc "$l_rss / 1024")" 1
	line "ingest peak anon, MB" "$(calc "$f_anon / 1024")" "$(calc "$l_anon / 1024")" 1
	if [ -n "$(xrow "$FIRST")" ] && [ -n "$(xrow "$TOTAL")" ] && [ "$FIRST" != "$TOTAL" ]; then
		set -- $(xrow "$FIRST"); fi_ib=$2 fi_rw=$4 fi_rc=$5 fi_rr=$6 fi_ra=$7 fi_vw=$8 fi_vc=$9
		set -- $(xrow "$TOTAL"); li_ib=$2 li_rw=$4 li_rc=$5 li_rr=$6 li_ra=$7 li_vw=$8 li_vc=$9
		line "index, B/record" "$(calc "$fi_ib / $f_r")" "$(calc "$li_ib / $l_r")" 1
		line "rebuild, CPU µs/record" "$(calc "$fi_rc / $f_r * 1e6")" "$(calc "$li_rc / $l_r * 1e6")" 2
		line "rebuild, wall µs/record" "$(calc "$fi_rw / $f_r * 1e6")" "$(calc "$li_rw / $l_r * 1e6")" 2
		line "rebuild peak RSS, MB" "$(calc "$fi_rr / 1024")" "$(calc "$li_rr / 1024")" 1
		line "rebuild peak anon, MB" "$(calc "$fi_ra / 1024")" "$(calc "$li_ra / 1024")" 1
		line "verify, CPU µs/record" "$(calc "$fi_vc / $f_r * 1e6")" "$(calc "$li_vc / $l_r * 1e6")" 2
		line "verify, wall µs/record" "$(calc "$fi_vw / $f_r * 1e6")" "$(calc "$li_vw / $l_r * 1e6")" 2
	fi
	echo
	echo "Ingest memory over all $(wc -l <"$WORK/ingest.tsv") batches: peak RSS at most $(MB "$MAXRSS") MB, peak anon at most $(MB "$MAXANON") MB."
	echo
} | tee "$RES"
say "bench: scale done, $(fmt "$WALL") s; table in $RES"
