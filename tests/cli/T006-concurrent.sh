#!/bin/sh
# tsan: yes
# Two writers at once: the second waits for the first; nothing is corrupted.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'two ingests at once both complete, one after the other' '
	custos init >/dev/null &&
	gen_posts 20000 1 >a.ndjson && gen_posts 20000 50001 >b.ndjson
	"$CUSTOS" ingest --no-index --json a.ndjson >outa 2>erra &
	pa=$!
	"$CUSTOS" ingest --no-index --json b.ndjson >outb 2>errb &
	pb=$!
	wait $pa && wait $pb &&
	grep -q "\"added\": 20000" outa && grep -q "\"added\": 20000" outb &&
	custos stats --json >st && grep -q "\"records\": 40000, \"versions\": 40000," st &&
	custos verify >/dev/null
'
test_expect 'a reader is not blocked by a writer' '
	custos init >/dev/null &&
	gen_posts 100 >a.ndjson && custos ingest --no-index a.ndjson >/dev/null &&
	gen_posts 60000 1000 >b.ndjson
	"$CUSTOS" ingest --no-index b.ndjson >/dev/null 2>&1 &
	pw=$!
	custos show --json x:50 >/dev/null &&
	custos stats --json >/dev/null &&
	wait $pw
'
test_done
