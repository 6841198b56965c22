#!/bin/sh
# Disposal reaches every copy custos made: an index --rebuild killed before
# it published its new generation leaves index/build/ holding every term of
# the records; a later retention apply disposes of them, and afterwards no
# file of the archive holds their words (the store's copies are encrypted
# under destroyed keys; the index's are deleted, the leftovers removed, and
# so are those an interrupted rebuild of an earlier custos left beside it).
. tests/cli/lib.sh
. tests/cli/gen.sh

export CUSTOS_TEST_DICT_AFTER=40
test_expect 'a killed index --rebuild leaves nothing of what a later apply disposes of' '
	custos init >/dev/null &&
	gen_posts 300 1 " quietzebra" >a.ndjson && custos ingest a.ndjson >/dev/null &&
	recent=$(date -u -d "-10 days" +%Y-%m-%d) &&
	gen_posts 20 1001 | sed "s/\"created_at\":\"2023-[0-9]*-[0-9]*T/\"created_at\":\"${recent}T/" >b.ndjson &&
	grep -c "\"created_at\":\"${recent}T" b.ndjson | grep -qx 20 &&
	custos ingest b.ndjson >/dev/null &&
	crash_at index-rebuild-before-publish "$CUSTOS" index --rebuild &&
	: "the copy the check below must not find is there, in the plain" &&
	grep -rl quietzebra archive/index/build >copies && test -s copies &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n" >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	custos retention apply --yes >out && grep -q "^disposed of 300 records" out &&
	: "the 2023 partition dropped whole, the partition of the recent records untouched at its generation" &&
	LC_ALL=C ls archive/index >dirs && printf "%s-2\nMANIFEST\n" "${recent%%-*}" >expect && test_cmp expect dirs &&
	{ grep -rl quietzebra archive >left || true; } && test_cmp /dev/null left &&
	test "$(custos search --count quietzebra)" = 0 &&
	test "$(custos search --count post)" = 20 &&
	custos verify >/dev/null
'
test_expect 'an index.rebuild/ an earlier custos left is gone before a disposition run ends' '
	custos init >/dev/null &&
	gen_posts 50 1 " quietzebra" >a.ndjson && custos ingest a.ndjson >/dev/null &&
	cp -a archive/index archive/index.rebuild && cp -a archive/index archive/index.old &&
	grep -rl quietzebra archive/index.rebuild archive/index.old >copies && test -s copies &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n" >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	custos retention apply --yes >out && grep -q "^disposed of 50 records" out &&
	! test -e archive/index.rebuild && ! test -e archive/index.old &&
	{ grep -rl quietzebra archive >left || true; } && test_cmp /dev/null left
'
test_done
