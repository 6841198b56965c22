#!/bin/sh
# plain-only: a load loop (sixty ingests) runs once, in the plain pass
# The index's merge policy: an archive built in many small ingests, never
# rebuilt, stays within 1.3 times the size a rebuild gives, plus the growth
# each partition may gather before a merge, from the time its partitions
# hold more than their fixed overhead on; with the policy held off the same
# ingests end far past that bound (so it is one the policy keeps, not one
# Xapian gives alone).
. tests/cli/lib.sh
. tests/cli/gen.sh

# CUSTOS_TEST_MERGE_MIN: the growth (bytes) below which a partition is left
# alone (8 MiB outside tests)
MIN=262144
idx_bytes() { du -sb "$1/index" | cut -f1; }

test_expect 'thirty ingests of 200 posts over three years stay within 1.3x of a rebuild, plus the minimum' '
	gen_years 6000 2021 3 >all.ndjson && split -l 200 -d all.ndjson b. &&
	custos --archive on init >/dev/null && custos --archive off init >/dev/null &&
	n=0 && : >steps &&
	for f in b.*; do
		n=$((n + 200)) &&
		CUSTOS_TEST_MERGE_MIN=$MIN custos --archive on ingest $f >/dev/null &&
		CUSTOS_TEST_MERGE_MIN=1000000000000 custos --archive off ingest $f >/dev/null &&
		echo "$n $(idx_bytes on)" >>steps || return 1
	done &&
	test "$(wc -l <steps)" = 30 &&
	test "$(custos --archive on search --count post)" = 6000 &&
	grep "^part " on/index/MANIFEST >parts && test "$(wc -l <parts)" = 3 &&
	awk "\$3 > 3 { m++ } END { exit !(m == 3) }" parts &&
	on_bytes=$(idx_bytes on) && off_bytes=$(idx_bytes off) &&
	custos --archive on search --json --limit 50 --sort date "#topic3" >before &&
	custos --archive on index --rebuild >/dev/null &&
	custos --archive on search --json --limit 50 --sort date "#topic3" >after && test_cmp before after &&
	rebuilt=$(idx_bytes on) &&
	echo "merged $on_bytes, unmerged $off_bytes, rebuilt $rebuilt" &&
	awk -v r=$rebuilt -v m=$MIN "\$1 >= 2400 && \$2 > 1.3 * r * \$1 / 6000 + 3 * m { print \"over at \" \$0; bad = 1 } END { exit bad }" steps &&
	awk -v a=$on_bytes -v b=$off_bytes -v r=$rebuilt -v m=$MIN "BEGIN { exit !(a <= 1.3 * r + 3 * m && b > 1.3 * r + 3 * m) }" &&
	custos --archive on verify >v && grep -q "index: 6000 documents agree with the store" v
'
test_done
