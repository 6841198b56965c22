#!/bin/sh
# The benchmark generator's export folders (bench/gen --out) are what the
# importers take: 2,000 generated posts in each format ingest with the
# record counts the post model gives, and a second ingest adds nothing.
# (BENCHMARKS.md "The generated posts" says why facebook and linkedin count
# differently: their ids derive from the text, so an edit is a record.)
. tests/cli/lib.sh

GEN="$t_root/gen"
if ! cc -O1 -std=c11 -D_GNU_SOURCE -o "$GEN" "$TOP/bench/gen.c" -lm 2>"$t_root/cc.log"; then
	test_skip 'generated exports' "bench/gen.c does not build here: $(head -n 1 "$t_root/cc.log")"
	test_done
	exit
fi
"$GEN" --format ndjson --count 2000 --seed 1 >"$t_root/posts.ndjson"
EDITS=$(grep -c '"edited_at"' "$t_root/posts.ndjson")
REPLY_EDITS=$(grep '"edited_at"' "$t_root/posts.ndjson" | grep -c '"kind":"reply"')
IDS=$((2000 - EDITS))

# ingest_gen FORMAT ADDED VERSIONS: generate, ingest, compare, ingest again
ingest_gen() {
	"$GEN" --format "$1" --count 2000 --seed 1 --out "in-$1" &&
	custos init >/dev/null &&
	custos ingest --no-index --json --format "$1" "in-$1" >first 2>warn &&
	grep -q "\"added\": $2, \"versions\": $3, \"unchanged\": 0, \"quarantined\": 0," first &&
	custos ingest --no-index --json --format "$1" "in-$1" >second 2>>warn &&
	grep -q '"added": 0, "versions": 0,' second &&
	custos verify >/dev/null
}

test_expect 'the post model has edits and replies' 'test "$EDITS" -gt 0 && test "$REPLY_EDITS" -gt 0'
test_expect 'ndjson: one id per post, edits are versions' '
	custos init >/dev/null &&
	custos ingest --no-index --json "$t_root/posts.ndjson" >first &&
	grep -q "\"added\": $IDS, \"versions\": $EDITS," first
'
test_expect 'mastodon export (outbox.json + actor.json)' 'ingest_gen mastodon $IDS $EDITS'
test_expect 'slack export (users, channels, day files)' 'ingest_gen slack $IDS $EDITS'
test_expect 'feed files (RSS 2.0 and Atom 1.0)' 'ingest_gen feed $IDS $EDITS'
test_expect 'facebook export: every item its own record' 'ingest_gen facebook 2000 0'
test_expect 'linkedin export: comment edits are records, share edits versions' '
	ingest_gen linkedin $((IDS + REPLY_EDITS)) $((EDITS - REPLY_EDITS))
'
test_expect 'format recognition takes each export as its format' '
	for f in mastodon slack facebook linkedin; do
		"$GEN" --format $f --count 200 --seed 2 --out "auto-$f" || exit 1
	done &&
	custos init >/dev/null &&
	custos ingest --no-index --json auto-mastodon auto-slack auto-facebook auto-linkedin >out 2>warn &&
	set -- $(sed -n "s/.*\"added\": \([0-9]*\), \"versions\": \([0-9]*\),.*/\1 \2/p" out) &&
	test $(($1 + $2)) = 800
'
test_done
