#!/bin/sh
# plain-only: a crash loop runs once, in the plain pass
# A crash between a disposition's index commit and its compaction: the
# MANIFEST keeps the note of the partition to compact, the archive opens and
# verifies, readers never see the disposed records, and the next writer
# compacts that partition (and no other), leaving none of their text.
. tests/cli/lib.sh
. tests/cli/gen.sh

others() { grep "^part " archive/index/MANIFEST | grep -v "^part 2019 " | cut -d" " -f1-3; }
sums() { (cd archive/index && find 202[0-9]-* -type f | sort | xargs md5sum); }

test_expect 'killed before the compaction: the note stays, the next writer compacts that partition' '
	custos init >/dev/null &&
	gen_years 1200 2019 5 | sed "/\"2019-0[1-6]-/s/ about / about zqxsecret /" >all.ndjson &&
	test "$(grep -c zqxsecret all.ndjson)" = 120 &&
	sed -n 1,600p all.ndjson >a.ndjson && sed -n 601,1200p all.ndjson >b.ndjson &&
	custos ingest a.ndjson >/dev/null && custos ingest b.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT zqxsecret\"\n    retain: 99y\n" >r.yaml &&
	custos policy set r.yaml -m schedule >/dev/null &&
	test "$(custos search --count zqxsecret)" = 120 &&
	grep -rqa zqxsecret archive/index/2019-* &&
	others >parts.before && sums >sums.before &&
	gen19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	crash_at dispose-before-compact "$CUSTOS" retention apply --yes &&
	grep -q "^compact 2019$" archive/index/MANIFEST &&
	test "$(grep -c "^compact " archive/index/MANIFEST)" = 1 &&
	test "$(custos search --count zqxsecret)" = 0 &&
	test "$(custos search --count post)" = 1080 &&
	custos verify >v && grep -q "index: 1080 documents agree with the store" v &&
	grep -q "^compact 2019$" archive/index/MANIFEST &&
	test "$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST)" = "$gen19" &&
	custos index >/dev/null &&
	! grep -q "^compact" archive/index/MANIFEST &&
	new19=$(sed -n "s/^part 2019 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	test "$new19" -gt "$gen19" && test "$(ls -d archive/index/2019-*)" = "archive/index/2019-$new19" &&
	! grep -rqa zqxsecret archive/index &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	test "$(custos search --count post)" = 1080 &&
	custos verify >v && grep -q "index: 1080 documents agree with the store" v &&
	custos retention apply --yes >out && grep -q "nothing to dispose\|^disposed of 0 records" out
'
test_expect 'killed mid-run with a whole year to drop: the year waits for the next apply, which drops it' '
	rm -rf archive && custos init >/dev/null &&
	gen_years 1200 2019 5 >all.ndjson && custos ingest all.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT date:2019-01-01..2019-12-31\"\n    retain: 99y\n" >r.yaml &&
	custos policy set r.yaml -m schedule >/dev/null &&
	others >parts.before && sums >sums.before &&
	crash_at dispose-before-shred "$CUSTOS" retention apply --yes &&
	grep -q "^part 2019 " archive/index/MANIFEST &&
	{ custos verify >v 2>&1 || true; } && grep -q "index: 240 documents of disposed records are still there" v &&
	custos retention apply --yes --json >out.json &&
	jq -e ".eligible == 240 and .index.partitions_dropped == 1" out.json >/dev/null &&
	! grep -q "^part 2019 " archive/index/MANIFEST && ! ls -d archive/index/2019-* 2>/dev/null &&
	others >parts.after && test_cmp parts.before parts.after &&
	sums >sums.after && test_cmp sums.before sums.after &&
	test "$(custos search --count post)" = 960 &&
	custos verify >v && grep -q "index: 960 documents agree with the store" v
'
test_done
