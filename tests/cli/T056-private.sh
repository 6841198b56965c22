#!/bin/sh
# Nothing of an archive is readable or writable by other users, whatever the
# umask: the root is 0700 and checked at every open, and every file custos,
# libgit2 and Xapian create there has no group or other bits.
. tests/cli/lib.sh
. tests/cli/gen.sh

# every step that creates files in an archive
exercise() {
	custos init >/dev/null &&
	gen_posts 40 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos index >/dev/null &&
	custos hold create m1 --query topic1 --reason "matter 1" >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1d\n" >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	echo memo >memo.txt && custos policy doc add memo.txt >/dev/null &&
	gen_posts 5 41 >b.ndjson && custos ingest b.ndjson >/dev/null &&
	custos retention apply --yes >/dev/null &&
	custos hold release m1 --reason settled >/dev/null &&
	custos index --rebuild >/dev/null &&
	custos verify >/dev/null && custos audit >/dev/null
}
# lists what other users could read, write or enter
open_to_others() {
	find archive -perm /077 >open &&
	test_cmp /dev/null open
}

test_expect 'under umask 000 nothing of the archive is open to others' '
	umask 000 && exercise && open_to_others &&
	test "$(stat -c %a archive)" = 700 &&
	test $(find archive -type f | wc -l) -gt 40
'
test_expect 'under umask 022 nothing of the archive is readable by others' '
	umask 022 && exercise && open_to_others
'
test_expect 'an archive whose root was opened to others is refused until made private again' '
	custos init >/dev/null && chmod 755 archive &&
	test_exit 1 custos stats 2>err &&
	echo "custos: archive '"'"'$TEST_DIR/archive'"'"' is open to other users (mode 0755): custos keeps an archive private to its owner; '"'"'chmod 700'"'"' it to go on" >expect &&
	test_cmp expect err &&
	test_exit 1 custos ingest /dev/null 2>/dev/null &&
	chmod 700 archive && custos stats >/dev/null
'
test_expect 'init makes an empty directory it is given private' '
	mkdir -m 755 archive && custos init >/dev/null &&
	test "$(stat -c %a archive)" = 700
'
test_done
