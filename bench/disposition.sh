#!/bin/sh
# Disposition rates (BENCHMARKS.md, "Disposition"): N generated posts over
# 2015-2025 (a third Mastodon, two thirds X), ingested without the index,
# indexed, then `retention plan` and `retention apply --yes` under a schedule
# of three rules (3y for all, 1y for Mastodon, 10y for launch posts of one
# hashtag) with one legal hold (~1% of the records).
#   sh bench/disposition.sh [N] [DIR]      (default 100000, /tmp/custos-dispose)
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
du -sh "$CUSTOS_ARCHIVE/store" "$CUSTOS_ARCHIVE/index"
/usr/bin/time -f "plan: %e s wall, %U s user, %M KB" "$C" retention plan --json >"$DIR/plan.json"
/usr/bin/time -f "apply: %e s wall, %U s user, %S s sys, %M KB" "$C" retention apply --yes --json >"$DIR/apply.json"
grep -o '"eligible":[0-9]*,"held":[0-9]*' "$DIR/apply.json" | head -n 1
grep -o '"disposed":{[^}]*},"seconds":{[^}]*}' "$DIR/apply.json"
du -sh "$CUSTOS_ARCHIVE/store" "$CUSTOS_ARCHIVE/index"
/usr/bin/time -f "verify: %e s wall" "$C" verify | head -n 1
