#!/bin/sh
# plain-only: crash and load loops run once, in the plain pass (not under the sanitizers)
# kill -9 during large ingests, again and again: the archive always opens and
# verifies, acknowledged records stay, and a rerun completes without duplicates.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'twenty kills at random moments lose nothing acknowledged' '
	custos init >/dev/null &&
	gen_posts 3000 >acked.ndjson &&
	custos ingest --no-index acked.ndjson >/dev/null &&
	gen_posts 60000 100000 >big.ndjson &&
	i=0 &&
	while [ $i -lt 20 ]; do
		i=$((i + 1))
		"$CUSTOS" ingest --no-index --batch 500 big.ndjson >/dev/null 2>&1 &
		pid=$!
		sleep $(awk -v s=$i "BEGIN { srand(s * 7919); printf \"%.2f\", 0.05 + rand() * 0.6 }")
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		custos verify >verify.out 2>&1 || { echo "verify failed after kill $i"; cat verify.out; exit 1; }
		custos show --json x:3000 >/dev/null || { echo "acknowledged x:3000 lost after kill $i"; exit 1; }
		custos show --json x:1 >/dev/null || { echo "acknowledged x:1 lost after kill $i"; exit 1; }
	done &&
	custos ingest --no-index --json big.ndjson >out &&
	custos stats --json >st &&
	grep -q "\"records\": 63000, \"versions\": 63000," st &&
	custos verify >/dev/null
'
test_done
