#!/bin/sh
# Disposition rates (BENCHMARKS.md, "Disposition"): N generated posts over
# 2015-2025 (a third Mastodon, two thirds X), ingested without the index,
# indexed, then `retention plan` and `retention apply --yes` under a schedule
# of three rules (3y for all, 1y for Mastodon, 10y for launch posts of one
# hashtag) with one legal hold (~1% of the records). Then `custos compact`
# (issue 17): the store's file before disposition, after it, and compacted,
# with `zstd -3` and `zstd -19 --long=27` of the input as references.
#   sh bench/disposition.sh [N] [DIR]      (default 100000, /tmp/custos-dispose)
# BENCH_FLOOR_N (default 100000): records given to zstd -19 (slow), scaled.
set -e
N=${1:-100000}
DIR=${2:-/tmp/custos-dispose}
C=${CUSTOS_BIN:-$(pwd)/custos}
mkdir -p "$DIR"
export CUSTOS_ARCHIVE="$DIR/archive"
awk -v n="$N" 'BEGIN {
	srand(42);
	nw = split("the a of to and in is it for on with as this that at by from we our you your new today team product launch support help thanks customer update service release event join read more about great week news", w, " ");
	for (i = 1; i <= n; i++) {
		p = (i % 3 == 0) ? "mastodon" : "x";
		t = "";
		for (j = 0; j < 20; j++) t = t w[1 + int(rand() * nw)] " ";
		printf "{\"id\":\"%s:%d\",\"platform\":\"%s\",\"account\":\"acme\",\"author\":{\"handle\":\"user%d\"},\"created_at\":\"%04d-%02d-%02dT10:00:00Z\",\"text\":\"%s#topic%d @user%d\",\"lang\":\"en\"}\n", p, i, p, i % 997, 2015 + i % 11, 1 + i % 12, 1 + i % 28, t, i % 101, (i * 7) % 997
	}
}' >"$DIR/posts.ndjson"
printf 'rules:\n  - name: default\n    match: "*"\n    retain: 3y\n  - name: toots\n    match: "platform:mastodon"\n    retain: 1y\n  - name: launches\n    match: "launch AND #topic7"\n    retain: 10y\n' >"$DIR/retention.yaml"
rm -rf "$CUSTOS_ARCHIVE"
"$C" init >/dev/null
/usr/bin/time -f "ingest --no-index: %e s wall, %U s user, %M KB" "$C" ingest --no-index "$DIR/posts.ndjson" >/dev/null
/usr/bin/time -f "index: %e s wall, %U s user, %M KB" "$C" index >/dev/null
"$C" policy set "$DIR/retention.yaml" >/dev/null
"$C" hold create matter --query "#topic42" >/dev/null
# the store's files in bytes: data.mdb and the key files (stats file_bytes:
# their sizes), and what they take on disk (stats disk_bytes: st_blocks x
# 512, read with stat here so that a custos without disk_bytes is measured
# the same way)
files() { "$C" stats --json | sed -n 's/.*"file_bytes": \([0-9]*\).*/\1/p'; }
disk() { (cd "$CUSTOS_ARCHIVE" && stat -c '%b %B' store/data.mdb keys/slots keys/items) |
	awk '{ s += $1 * $2 } END { printf "%d", s }'; }
per() { awk -v b="$1" -v n="$N" 'BEGIN { printf "%d bytes = %.0f B/record", b, b / n }'; }
in_bytes=$(wc -c <"$DIR/posts.ndjson")
z3=$(zstd -3 -c -T1 "$DIR/posts.ndjson" | wc -c)
FN=${BENCH_FLOOR_N:-100000}; [ "$FN" -gt "$N" ] && FN=$N
head -n "$FN" "$DIR/posts.ndjson" >"$DIR/floor.ndjson"
z19s=$(zstd -19 --long=27 -c -T1 "$DIR/floor.ndjson" | wc -c)
z3s=$(zstd -3 -c -T1 "$DIR/floor.ndjson" | wc -c)
z19=$(awk -v a="$z19s" -v b="$z3" -v c="$z3s" 'BEGIN { printf "%d", a * b / c }')
echo "input: $(per "$in_bytes"); zstd -3: $(per "$z3"); zstd -19 --long=27: $(per "$z19") (on the first $FN records, scaled by zstd -3 whole/sample)"
before=$(files); dbefore=$(disk)
echo "store files before disposition: $(per "$before"); on disk $(per "$dbefore")"
du -sh "$CUSTOS_ARCHIVE/store" "$CUSTOS_ARCHIVE/index"
/usr/bin/time -f "plan: %e s wall, %U s user, %M KB" "$C" retention plan --json >"$DIR/plan.json"
/usr/bin/time -f "apply: %e s wall, %U s user, %S s sys, %M KB" "$C" retention apply --yes --json >"$DIR/apply.json"
grep -o '"eligible":[0-9]*,"held":[0-9]*' "$DIR/apply.json" | head -n 1
grep -o '"disposed":{[^}]*},"index":{[^}]*},"seconds":{[^}]*}' "$DIR/apply.json"
du -sh "$CUSTOS_ARCHIVE/store" "$CUSTOS_ARCHIVE/index"
after=$(files); dafter=$(disk)
echo "store files after disposition: $(per "$after") ($(awk -v a="$after" -v b="$before" 'BEGIN { printf "%.2f", a / b }') of before); on disk $(per "$dafter") ($(awk -v a="$dafter" -v b="$dbefore" 'BEGIN { printf "%.2f", a / b }') of before)"
/usr/bin/time -f "compact: %e s wall, %U s user, %S s sys, %M KB" "$C" compact --json
compacted=$(files); dcompacted=$(disk)
echo "store files compacted: $(per "$compacted") ($(awk -v a="$compacted" -v b="$before" 'BEGIN { printf "%.2f", a / b }') of before); on disk $(per "$dcompacted") ($(awk -v a="$dcompacted" -v b="$dbefore" 'BEGIN { printf "%.2f", a / b }') of before)"
/usr/bin/time -f "verify: %e s wall, %U s user" "$C" verify | head -n 1
