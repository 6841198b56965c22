#!/bin/sh
# Searches across index partitions (years) answer as one index does: the
# query oracle's corpus over four years and several ingests, against
# the same records in one year and against the scan of their text
# (tests/oracle/partition_oracle.py).
. tests/cli/lib.sh

if ! command -v python3 >/dev/null; then
	test_skip 'partition oracle' 'python3 is needed'
	test_done
	exit
fi
test_expect 'every query answers across partitions as in one, and as the scan does' '
	python3 "$TOP/tests/oracle/partition_oracle.py" "$CUSTOS" "$TEST_DIR" >out 2>&1 || { cat out; false; } &&
	tail -n 1 out >last &&
	n=$(sed -n "s/^partitions: \([0-9]*\) passed.*/\1/p" last) &&
	echo "partitions: $n passed, 0 failed" >expect && test_cmp expect last &&
	test "$n" -ge 140
'
test_done
