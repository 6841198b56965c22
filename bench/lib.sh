# Helpers shared by the benchmark scripts (sourced; they use $LOG).
# bench_paths NAME [RESULTS]: what every script finds where: BUILD (where
# ./custos points, unless set), TOP (this folder: run from the top),
# CUSTOS, GEN, OUT, and WORK, RES, LOG named after NAME (RES after RESULTS
# when given); stops when custos or bench/gen is not built.
bench_paths() {
	BUILD=${BUILD:-$(dirname "$(readlink custos 2>/dev/null || echo build/release/custos)")}
	TOP=$(pwd)
	CUSTOS=${CUSTOS:-$TOP/custos}
	case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
	GEN=$BUILD/bench/gen
	OUT=$TOP/bench/out
	WORK=$OUT/$1-work
	RES=$OUT/${2:-$1}.md
	LOG=$OUT/$1.log
	for f in "$CUSTOS" "$GEN"; do
		[ -x "$f" ] || { echo "bench: $f missing: run 'make && make bench-build'" >&2; exit 1; }
	done
}
say() { printf '%s\n' "$*" >&2; printf '%s\n' "$*" >>"$LOG"; }
now_ns() { date +%s%N; }
# awk arithmetic: calc "expression"
calc() { awk "BEGIN { printf \"%s\", $1 }" 2>/dev/null || echo "?"; }
fmt() { awk -v x="$1" -v d="${2:-0}" 'BEGIN { if (x == "?" || x == "") print "?"; else printf "%.*f", d, x }'; }
# thousands separators for integers
thou() { printf '%s' "$1" | sed -e ':a' -e 's/\([0-9]\)\([0-9]\{3\}\)\($\|[,.]\)/\1,\2\3/; ta'; }
# the median of the numbers on stdin (space or newline separated)
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END {
	if (!NR) { print "?"; exit } if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# run_timed OUTFILE CMD...: runs CMD with stdout to OUTFILE; sets SECS (wall),
# CPU (user + system seconds) and RSS_KB (peak resident set), all three from
# /usr/bin/time -v, and ANON_KB: the peak of RssAnon (heap and stacks, not
# the LMDB file pages the process maps and touches, which RSS also counts),
# sampled from /proc every 0.2 s. The cores are shared with other work, so
# the CPU time is the steadier figure for "records/s on one core". Needs
# TIMEV (empty: wall time only), WORK and LOG.
run_timed() {
	o=$1; shift
	if [ -z "$TIMEV" ]; then
		t0=$(now_ns)
		"$@" >"$o" 2>>"$LOG" || { say "bench: failed: $*"; return 1; }
		SECS=$(calc "($(now_ns) - $t0) / 1e9"); RSS_KB="?"; CPU="?"; ANON_KB="?"
		return 0
	fi
	$TIMEV -v -o "$WORK/time.txt" "$@" >"$o" 2>>"$LOG" &
	tp=$!
	ANON_KB=0
	while kill -0 "$tp" 2>/dev/null; do
		for c in $(pgrep -P "$tp" 2>/dev/null); do
			a=$(awk '/^RssAnon:/ { print $2 }' "/proc/$c/status" 2>/dev/null || true)
			[ -n "$a" ] && [ "$a" -gt "$ANON_KB" ] && ANON_KB=$a
		done
		sleep 0.2
	done
	if ! wait "$tp"; then
		say "bench: failed: $*"; return 1
	fi
	RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
	CPU=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$WORK/time.txt")
	# "Elapsed (wall clock) time (h:mm:ss or m:ss): 0:16.19"
	SECS=$(awk '/Elapsed \(wall clock\)/ { n = split($NF, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
}
