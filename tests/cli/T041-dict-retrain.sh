#!/bin/sh
# plain-only: the kill loop runs once, in the plain pass (not under the sanitizers)
# A platform's dictionary is retrained when its records compress clearly worse
# than at first (docs/storage.md, "Dictionaries"): records under the old and
# the new dictionary read back, verify passes, and a kill -9 at any moment of
# ingests that retrain leaves an archive that opens and verifies.
. tests/cli/lib.sh
. tests/cli/gen.sh

# dictionaries after 100 records, compression measured over windows of 300
export CUSTOS_TEST_DICT_AFTER=100 CUSTOS_TEST_DICT_WINDOW=300

test_expect 'a second input file of other posts trains a second dictionary' '
	custos init >/dev/null &&
	gen_posts 2000 >a.ndjson &&
	gen_posts 2000 2001 " and the spring collection of 2024 is in store now" >b.ndjson &&
	custos ingest --no-index a.ndjson >/dev/null &&
	custos stats --json >st1 &&
	jq -e ".dictionaries == 1" st1 >/dev/null &&
	custos ingest --no-index b.ndjson >/dev/null &&
	custos stats --json >st2 &&
	jq -e ".dictionaries == 2 and .records == 4000" st2 >/dev/null &&
	custos verify --json >v &&
	jq -e ".ok and .dictionaries == 2 and .problems == 0" v >/dev/null &&
	for id in x:1 x:150 x:2000 x:2001 x:3500 x:4000; do
		n=${id#x:}
		custos show --json $id >shown &&
		jq -e --arg t "post number $n about" ".text | startswith(\$t)" shown >/dev/null ||
			{ echo "$id does not read back"; cat shown; exit 1; }
	done &&
	custos show --json x:4000 | jq -e ".text | endswith(\"in store now\")" >/dev/null
'

test_expect 'kill -9 during ingests that retrain: the archive opens and verifies' '
	custos init >/dev/null &&
	gen_posts 500 >acked.ndjson &&
	custos ingest --no-index acked.ndjson >/dev/null &&
	i=0 &&
	while [ $i -lt 10 ]; do
		i=$((i + 1))
		gen_posts 6000 $((1000 + i * 10000)) " round $i $i $i of the drifting season $i" >big$i.ndjson
		"$CUSTOS" ingest --no-index --batch 200 big$i.ndjson >/dev/null 2>&1 &
		pid=$!
		sleep $(awk -v s=$i "BEGIN { srand(s * 7919); printf \"%.2f\", 0.05 + rand() * 0.5 }")
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
		custos verify >verify.out 2>&1 || { echo "verify failed after kill $i"; cat verify.out; exit 1; }
		custos show --json x:500 >/dev/null || { echo "acknowledged x:500 lost after kill $i"; exit 1; }
	done &&
	custos ingest --no-index big10.ndjson >/dev/null &&
	custos stats --json >st &&
	jq -e ".dictionaries >= 2" st >/dev/null &&
	custos verify --json >v &&
	jq -e ".ok and .problems == 0" v >/dev/null
'
test_done
