#!/bin/sh
# A disposition rewrites only the index partitions (years) it deleted from:
# every other partition keeps its generation and its files byte for byte.
. tests/cli/lib.sh
. tests/cli/gen.sh

# 1,200 posts, 240 in each year 2019..2023, ingested in three batches
setup() {
	custos init >/dev/null && gen_years 1200 2019 5 >all.ndjson &&
	sed -n 1,400p all.ndjson >a.ndjson && sed -n 401,800p all.ndjson >b.ndjson &&
	sed -n 801,1200p all.ndjson >c.ndjson &&
	for f in a b c; do custos ingest $f.ndjson >/dev/null || return 1; done &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT date:%s\"\n    retain: 99y\n" "$1" >r.yaml &&
	custos policy set r.yaml -m schedule >/dev/null
}
# part_lines: the MANIFEST's partitions other than 2019, with generations
others() { grep "^part " archive/index/MANIFEST | grep -v "^part 2019 " | cut -d" " -f1-3; }
# sums: a checksum of every file of the partitions other than 2019
sums() { (cd archive/index && find 202[0-9]-* -type f | sort | xargs md5sum); }
# ids QUERY: the ids a search finds, sorted
ids() { custos search --json --limit 5000 "$1" | jq -r ".hits[].id" | sort; }

test_expect 'disposing of half a year rewrites that partition only' '
	setup 2019-01-01..2019-06-30 &&
	others >parts.before && sums >sums.before &&
	gen19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) && test -n "$gen19" &&
	test "$(custos search --count "date:2019-01-01..2019-06-30")" = 120 &&
	custos retention apply --yes >out && grep -q "^disposed of 120 records" out &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	new19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	test "$new19" -gt "$gen19" && ! grep -q "^compact" archive/index/MANIFEST &&
	ls archive/index >dirs && grep -c "^2019-" dirs >n && echo 1 >one && test_cmp one n &&
	grep -q "^2019-$new19$" dirs &&
	test "$(custos search --count "date:2019-01-01..2019-06-30")" = 0 &&
	test "$(custos search --count "date:2019-01-01..2019-12-31")" = 120 &&
	test "$(custos search --count post)" = 1080 &&
	custos verify >v && grep -q "index: 1080 documents agree with the store" v
'
test_expect 'disposing of a whole year drops its partition and touches no other' '
	setup 2019-01-01..2019-12-31 &&
	others >parts.before && sums >sums.before &&
	custos retention apply --yes >out && grep -q "^disposed of 240 records" out &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	! grep -q "^part 2019 " archive/index/MANIFEST && ! ls -d archive/index/2019-* 2>/dev/null &&
	test "$(custos search --count post)" = 960 &&
	test "$(custos search --count "year 2019")" = 0 &&
	custos verify >v && grep -q "index: 960 documents agree with the store" v &&
	gen_years 5 2019 1 | sed "s/\"x:\([0-9]*\)\"/\"x:new\1\"/" >d.ndjson &&
	custos ingest d.ndjson >/dev/null && grep -q "^part 2019 " archive/index/MANIFEST &&
	test "$(custos search --count post)" = 965
'
test_expect 'disposing of most of a year rebuilds it from the records that stay' '
	rm -rf archive && custos init >/dev/null &&
	gen_years 1200 2019 5 | sed "/\"2019-0[1-6]-/s/ about / about zqxsecret /" >all.ndjson &&
	custos ingest all.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT date:2019-01-01..2019-09-30\"\n    retain: 99y\n" >r.yaml &&
	custos policy set r.yaml -m schedule >/dev/null &&
	others >parts.before && sums >sums.before &&
	gen19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	test "$(custos search --count "date:2019-01-01..2019-09-30")" = 180 &&
	ids "\"year 2019 in\" AND date:2019-10-01..2019-12-31" >kept.before &&
	test "$(wc -l <kept.before)" = 60 &&
	ids "amb* AND NOT date:2019-01-01..2019-09-30" >amber.before && test -s amber.before &&
	custos retention apply --yes --json >out.json &&
	jq -e ".eligible == 180 and .index.partitions_rebuilt == 1 and .index.partitions_dropped == 0" out.json >/dev/null &&
	new19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	test "$new19" -gt "$gen19" && ! grep -q "^compact" archive/index/MANIFEST &&
	test "$(ls -d archive/index/2019-*)" = "archive/index/2019-$new19" &&
	! ls -d archive/index/2019-$new19/copy* 2>/dev/null &&
	! grep -rqa zqxsecret archive/index &&
	ids "\"year 2019 in\" AND date:2019-10-01..2019-12-31" >kept.after &&
	test_cmp kept.before kept.after &&
	ids "amb*" >amber.after && test_cmp amber.before amber.after &&
	test "$(custos search --count "year 2019")" = 60 &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	custos verify >v && grep -q "index: 1020 documents agree with the store" v
'
test_expect 'a year with one held record is rebuilt around it, never dropped' '
	setup 2019-01-01..2019-12-31 &&
	others >parts.before && sums >sums.before &&
	custos hold create keep5 --query id:x:5 >/dev/null &&
	gen19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	custos retention apply --yes --json >out.json &&
	jq -e ".held == 1 and .eligible == 239 and .index.partitions_dropped == 0 and .index.partitions_rebuilt == 1" out.json >/dev/null &&
	new19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	test "$new19" -gt "$gen19" &&
	test "$(custos search --count "year 2019")" = 1 &&
	test "$(custos search --count id:x:5)" = 1 &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	custos verify >v && grep -q "index: 961 documents agree with the store" v
'
test_expect 'the whole year dropped is said in the run: every record of it disposed, the others kept' '
	setup 2019-01-01..2019-12-31 &&
	custos retention apply --yes --json >out.json &&
	jq -e ".eligible == 240 and .index.partitions_dropped == 1 and .index.documents_dropped == 240" out.json >/dev/null &&
	custos retention log --json >log.json && test "$(custos search --count post)" = 960 &&
	custos show x:5 >show.out && grep -qi "disposed" show.out
'
# in ARCHIVE: the records of all.ndjson, and a schedule disposing of 2019's
# records dated in the range $2 (the others are kept for 99 years)
ranged() {
	CUSTOS_ARCHIVE=$PWD/$1 custos init >/dev/null &&
	CUSTOS_ARCHIVE=$PWD/$1 custos ingest all.ndjson >/dev/null && sched "$1" "$2"
}
sched() {
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT date:%s\"\n    retain: 99y\n" "$2" >r.yaml &&
	CUSTOS_ARCHIVE=$PWD/$1 custos policy set r.yaml -m schedule >/dev/null
}
# answers ARCHIVE: the sorted ids each of a set of queries finds there
answers() {
	for q in post "year 2019" "amb*" "\"year 2019 in\"" "#topic3" "topic*" "red OR blue" \
	    "date:2019-01-01..2019-12-31" "user3" "NOT red" "year 2019 NEAR/3 violet" "grean~1"; do
		echo "== $q" &&
		CUSTOS_ARCHIVE=$PWD/$1 custos search --json --limit 5000 "$q" | jq -r ".hits[].id" | sort ||
		return 1
	done
}
test_expect 'a year rebuilt from what stays answers as one its documents were deleted from' '
	gen_years 1200 2019 5 >all.ndjson &&
	ranged one 2019-01-01..2019-08-31 && ranged two 2019-01-01..2019-04-30 &&
	test "$(CUSTOS_ARCHIVE=$PWD/one custos search --count "date:2019-01-01..2019-08-31")" = 160 &&
	answers one >before && test "$(grep -c "^x:" before)" -gt 1000 &&
	CUSTOS_ARCHIVE=$PWD/one custos retention apply --yes --json >one.json &&
	jq -e ".eligible == 160 and .index.partitions_rebuilt == 1 and .index.partitions_dropped == 0" one.json >/dev/null &&
	CUSTOS_ARCHIVE=$PWD/two custos retention apply --yes --json >two1.json &&
	jq -e ".eligible == 80 and .index.partitions_rebuilt == 0 and .index.partitions_dropped == 0" two1.json >/dev/null &&
	sched two 2019-01-01..2019-08-31 &&
	CUSTOS_ARCHIVE=$PWD/two custos retention apply --yes --json >two2.json &&
	jq -e ".eligible == 80 and .index.partitions_rebuilt == 0 and .index.partitions_dropped == 0" two2.json >/dev/null &&
	answers one >one.ids && answers two >two.ids && test_cmp one.ids two.ids &&
	test "$(grep -c "^x:" one.ids)" -lt "$(grep -c "^x:" before)" &&
	test "$(CUSTOS_ARCHIVE=$PWD/one custos search --count "year 2019")" = 80 &&
	CUSTOS_ARCHIVE=$PWD/one custos verify >v1 && grep -q "index: 1040 documents agree with the store" v1 &&
	CUSTOS_ARCHIVE=$PWD/two custos verify >v2 && grep -q "index: 1040 documents agree with the store" v2
'
test_done
