#!/bin/sh
# The query oracle (tests/oracle/query_oracle.py): every query of its list
# returns exactly the ids a plain scan over the records' text finds, and the
# queries the scan cannot express are refused with a position.
. tests/cli/lib.sh

if ! command -v python3 >/dev/null; then
	test_skip 'query oracle' 'python3 is needed'
	test_done
	exit
fi
test_expect 'every query answers as the scan of the text does, or is refused' '
	python3 "$TOP/tests/oracle/query_oracle.py" "$CUSTOS" "$TEST_DIR" >out 2>&1 || { cat out; false; } &&
	tail -n 1 out >last &&
	echo "oracle: $(sed -n "s/^oracle: \([0-9]*\) passed.*/\1/p" last) passed, 0 failed" >expect &&
	test_cmp expect last &&
	test "$(sed -n "s/^oracle: \([0-9]*\) passed.*/\1/p" last)" -ge 220
'
test_done
