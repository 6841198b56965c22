#!/bin/sh
# index --rebuild over partitions: the same answers, a new generation of
# every partition and nothing else on disk; verify checks every partition,
# and a partition missing, damaged or left out of the MANIFEST fails it.
. tests/cli/lib.sh
. tests/cli/gen.sh

# 1,500 posts over 2019..2023 in three ingests, and 20 of them edited
setup() {
	custos init >/dev/null && gen_years 1500 2019 5 >all.ndjson &&
	sed -n 1,500p all.ndjson >a.ndjson && sed -n 501,1000p all.ndjson >b.ndjson &&
	sed -n 1001,1500p all.ndjson >c.ndjson &&
	sed -n "1,20s/ about / edited about /p" all.ndjson >e.ndjson &&
	for f in a b c e; do custos ingest $f.ndjson >/dev/null || return 1; done
}
answers() {
	for q in post "#topic3" edited "green OR amber" "date:2020-06-01..2022-06-30" "year 2023"; do
		custos search --json --limit 2000 --sort date "$q" || return 1
		custos search --json --limit 20 --offset 290 --sort -date "$q" || return 1
		custos search --json --limit 0 --facets year,month "$q" || return 1
	done
}
parts() { grep "^part " archive/index/MANIFEST | cut -d" " -f2,3; }

test_expect 'a rebuild gives the same answers and a new generation of every partition' '
	setup && answers >before && parts >p1 &&
	test "$(wc -l <p1)" = 5 && test "$(custos search --count edited)" = 20 &&
	custos index --rebuild >/dev/null &&
	answers >after && test_cmp before after &&
	parts >p2 && cut -d" " -f1 p1 >y1 && cut -d" " -f1 p2 >y2 && test_cmp y1 y2 &&
	join p1 p2 | awk "\$3 <= \$2 { bad = 1 } END { exit bad }" &&
	ls archive/index >dirs && (sed "s/ /-/" p2; echo MANIFEST) | sort >expect && test_cmp expect dirs &&
	custos verify >v && grep -q "index: 1500 documents agree with the store" v
'
test_expect 'verify fails on a partition missing from the MANIFEST, and a rebuild restores it' '
	setup && answers >before &&
	grep -v "^part 2021 " archive/index/MANIFEST >m && cat m >archive/index/MANIFEST &&
	test_exit 1 custos verify 2>err &&
	grep -q "index: it holds 1216 documents for the store.s 1520 live record versions: a partition of it is missing" err &&
	custos index --rebuild >/dev/null && answers >after && test_cmp before after &&
	custos verify >v && grep -q "index: 1500 documents agree with the store" v
'
test_expect 'verify and search fail naming a partition whose shard is gone' '
	setup &&
	g=$(sed -n "s/^part 2022 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	rm -rf archive/index/2022-$g/shard0 &&
	test_exit 1 custos verify 2>err && grep -q "missing shard 0 of [0-9]* of partition 2022" err &&
	test_exit 1 custos search --count post 2>err && grep -q "of partition 2022" err &&
	custos index --rebuild >/dev/null && test "$(custos search --count post)" = 1500 &&
	custos verify >/dev/null
'
test_expect 'verify fails on a partition holding records of another archive' '
	setup &&
	custos --archive other init >/dev/null &&
	gen_years 1500 2019 5 | sed "s/\"x:\([0-9]*\)\"/\"x:o\1\"/" >o.ndjson &&
	custos --archive other ingest o.ndjson >/dev/null &&
	g=$(sed -n "s/^part 2020 \([0-9]*\) .*/\1/p" archive/index/MANIFEST) &&
	go=$(sed -n "s/^part 2020 \([0-9]*\) .*/\1/p" other/index/MANIFEST) &&
	rm -rf archive/index/2020-$g && cp -r other/index/2020-$go archive/index/2020-$g &&
	test_exit 1 custos verify 2>err && grep -q "holds record x:o[0-9]*, which the store does not" err
'
test_done
