#!/bin/sh
# plain-only: crash and load loops run once, in the plain pass (not under the sanitizers)
# The index is derived: a killed indexer catches up from its watermark with
# no duplicate and no missing document, and a rebuild gives the same results.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'kills during indexing, then a catch-up: every record once' '
	custos init >/dev/null &&
	gen_posts 30000 >a.ndjson &&
	custos ingest --no-index a.ndjson >/dev/null &&
	i=0 &&
	while [ $i -lt 5 ]; do
		i=$((i + 1))
		"$CUSTOS" index >/dev/null 2>&1 &
		pid=$!
		sleep $(awk -v s=$i "BEGIN { srand(s * 104729); printf \"%.2f\", 0.2 + rand() * 1.5 }")
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	done &&
	custos index >/dev/null &&
	test "$(custos search --count post)" = 30000 &&
	test "$(custos search --count topic0)" = "$(grep -c "#topic0 " a.ndjson)" &&
	custos stats --json | grep -q "\"index_lag\": 0" &&
	custos search --json --limit 100 --sort date "#topic3" >before &&
	custos index --rebuild >/dev/null &&
	custos search --json --limit 100 --sort date "#topic3" >after &&
	test_cmp before after
'
test_expect 'an edited record is one document holding its latest version' '
	custos init >/dev/null &&
	gen_posts 10 >a.ndjson && gen_posts 1 5 " unicornword" >b.ndjson &&
	custos ingest a.ndjson >/dev/null && custos ingest b.ndjson >/dev/null &&
	test "$(custos search --count post)" = 10 &&
	test "$(custos search --count unicornword)" = 1
'
test_done
