#!/bin/sh
# The export's selection through its external sort (lib/xsel.c): with a
# budget of 100 entries (CUSTOS_TEST_SORT_BUDGET, the test knob), a
# production of a few thousand records is sorted in many spilled runs and
# merged, and comes out the same, byte for byte, as the one sorted in
# memory: for a query, a hold, a matter's tag and --with-thread, with the
# EDRM reply relationships. The sort's files are gone after success and
# after a failure.
. tests/cli/lib.sh
. tests/cli/gen.sh

# 3,000 posts of 2023 and 300 replies of 2024 to every 7th of them (a
# reply to a reply for every 10th), so that threads and the EDRM
# relationships span the runs; the first 300 posts edited (a second
# version each, which the queries below match both of)
setup() {
	custos init >/dev/null && gen_posts 3000 >a.ndjson &&
	awk 'BEGIN { for (i = 1; i <= 300; i++) {
		to = i % 10 ? 7 * i : 3000 + i - 1
		printf "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"r%d\"},\"created_at\":\"2024-%02d-%02dT%02d:00:00Z\",\"text\":\"reply %d\",\"in_reply_to\":\"x:%d\"}\n", 3000 + i, i % 5, 1 + i % 12, 1 + i % 28, i % 24, i, to } }' >>a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	gen_posts 300 1 " edited" >v2.ndjson && custos ingest v2.ndjson >/dev/null
}

# same P1 P2: the two productions hold the same files with the same bytes,
# and the same manifest, but for its time and the log (whose lines are timed)
same() {
	(cd "$1" && find . -type f ! -name manifest.json ! -name production.log | sort |
		xargs sha256sum) >sums1 &&
	(cd "$2" && find . -type f ! -name manifest.json ! -name production.log | sort |
		xargs sha256sum) >sums2 &&
	test_cmp sums1 sums2 &&
	jq -S "del(.created_at) | .files |= map(select(.path != \"production.log\"))" \
		"$1/manifest.json" >m1 &&
	jq -S "del(.created_at) | .files |= map(select(.path != \"production.log\"))" \
		"$2/manifest.json" >m2 &&
	test_cmp m1 m2
}

# no_sort_files: nothing of the sort is left beside the productions
no_sort_files() {
	ls -A | grep custos-sort && { echo "the sort left files behind"; return 1; }
	return 0
}

# both P ARGS...: the export of ARGS in memory (into P.mem) and through
# 100-entry runs (into P.runs), with the log of the latter checked
both() {
	p=$1; shift
	custos export "$@" --out "$p.mem" >/dev/null &&
	grep -q "the selection was sorted in memory" "$p.mem/production.log" &&
	CUSTOS_TEST_SORT_BUDGET=100 custos export "$@" --out "$p.runs" >/dev/null &&
	grep -q "the selection was sorted in [0-9][0-9]* runs" "$p.runs/production.log" &&
	same "$p.mem" "$p.runs" && no_sort_files &&
	custos export --verify "$p.runs" >/dev/null
}

test_expect 'a query: the same production through 100-entry runs as in memory, replies related' '
	setup &&
	both q "post OR reply" --format jsonl,csv,edrm,dat &&
	jq -e ".records == 3300" q.runs/manifest.json >/dev/null &&
	# a reply dated before its parent has no relationship: 295 of the 300 do
	test "$(grep -c "<Relationship Type=\"Reply\"" q.runs/LOADFILES/production.xml)" = 295 &&
	jq -r ".documents[].id" q.runs/manifest.json >ids && sort -u ids >u && test "$(wc -l <u)" = 3300 &&
	jq -e "[.documents[] | select(.version == 2)] | length == 300" q.runs/manifest.json >/dev/null &&
	test "$(custos search --count "post OR reply")" = 3300
'
test_expect 'a hold, a matter tag and --with-thread: the same through runs as in memory' '
	setup &&
	custos hold create h --query "#topic3 OR reply" >/dev/null &&
	both h --hold h --format jsonl,edrm &&
	jq -e ".records > 500" h.runs/manifest.json >/dev/null &&
	custos matter create m --tag hot >/dev/null &&
	custos matter tag m hot --query "#topic5" >/dev/null &&
	both m --matter m --tag hot --format jsonl,dat &&
	jq -e ".records > 200" m.runs/manifest.json >/dev/null &&
	both t "#topic4" --with-thread --format jsonl,edrm &&
	custos search --count "#topic4" >n && jq -e ".records > $(cat n)" t.runs/manifest.json >/dev/null
'
# One conversation larger than the budget: a post (the only record with the
# word "bigroot") and 400 replies over 9 days, 50 of them edited, read from
# the index a document at a time into a selection of its own (spilled too
# with a budget of 100), the same production as in memory, every record once
big_thread() {
	custos init >/dev/null &&
	awk 'BEGIN {
		printf "{\"id\":\"x:900000\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"acme\"},\"created_at\":\"2023-06-01T00:00:00Z\",\"text\":\"bigroot announcement\"}\n"
		for (i = 1; i <= 400; i++) {
			s = i * 1800; d = 1 + int(s / 86400); s %= 86400
			printf "{\"id\":\"x:%d\",\"platform\":\"x\",\"account\":\"acme\",\"author\":{\"handle\":\"r%d\"},\"created_at\":\"2023-06-%02dT%02d:%02d:00Z\",\"text\":\"reply %d\",\"in_reply_to\":\"x:%d\",\"thread\":\"x:900000\"}\n", 900000 + i, i % 7, d, int(s / 3600), int(s % 3600 / 60), i, i % 3 ? 900000 + i - 1 : 900000 } }' >t1.ndjson &&
	awk 'NR > 1 && NR % 8 == 0 { sub(/"text":"reply [0-9]*/, "&, edited"); print }' t1.ndjson >t2.ndjson &&
	test "$(wc -l <t2.ndjson)" = 50 &&
	custos ingest t1.ndjson >/dev/null && custos ingest t2.ndjson >/dev/null &&
	gen_posts 200 >a.ndjson && custos ingest a.ndjson >/dev/null
}
test_expect 'a conversation larger than the budget: rsmf, html, jsonl and edrm with --with-thread' '
	big_thread && test "$(custos search --count bigroot)" = 1 &&
	both b bigroot --with-thread --format rsmf,html,jsonl,edrm &&
	jq -e ".records == 401" b.runs/manifest.json >/dev/null &&
	jq -r ".documents[].id" b.runs/manifest.json | sort >ids && sort -u ids >u && test_cmp ids u &&
	test "$(wc -l <u)" = 401 &&
	jq -e "[.documents[] | select(.version == 2)] | length == 50" b.runs/manifest.json >/dev/null &&
	test "$(ls b.runs/HTML | wc -l)" = 2 &&
	test "$(cat b.runs/HTML/*.html | grep -c "class=\"rec\"")" = 401 &&
	ls b.runs/RSMF >rsmf && test "$(wc -l <rsmf)" = 9 &&
	cat b.runs/RSMF/*.rsmf | tr -d "\r" | awk "/^X-RSMF-EventCount:/ { n += \$2 } END { print n }" >events &&
	echo 401 >expect && test_cmp expect events
'
# the hold lists a reply not captured yet: captured without indexing, it is
# no member, and the export reads its conversation (401 records) by id
test_expect 'a hold with_thread whose conversation is larger than the budget' '
	big_thread && echo x:900999 >ids.txt &&
	custos hold create big --ids ids.txt --with-thread >/dev/null 2>&1 &&
	printf "%s\n" "{\"id\":\"x:900999\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2023-06-12T00:00:00Z\",\"text\":\"a late reply\",\"in_reply_to\":\"x:900003\",\"thread\":\"x:900000\"}" >late.ndjson &&
	custos ingest --no-index late.ndjson >/dev/null &&
	custos hold show big --json >show && jq -e ".hold.members == 0" show >/dev/null &&
	jq -r ".records[] | select(.captured) | .id" show | sort >expect &&
	test "$(wc -l <expect)" = 402 &&
	both h --hold big --format jsonl,rsmf &&
	jq -r ".documents[].id" h.runs/manifest.json | sort >actual && test_cmp expect actual
'
# A 64 KiB tmpfs when this machine lets us mount one, else a file size
# limit of 8 KiB (RLIMIT_FSIZE, SIGXFSZ ignored): the sort's files do not fit.
export_on_full_disk() {
	mkdir small
	if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
		echo "disk full: a 64 KiB tmpfs"
		CUSTOS_TEST_SORT_BUDGET=100 "$CUSTOS" export "post" --format jsonl \
			--out small/prod 2>err; echo $? >rc
		ls -A small >left; umount small
	else
		echo "disk full: no mount allowed here; RLIMIT_FSIZE of 8 KiB instead"
		(trap "" XFSZ; ulimit -f 16; CUSTOS_TEST_SORT_BUDGET=100 exec "$CUSTOS" export "post" \
			--format jsonl --out small/prod) 2>err; echo $? >rc
		ls -A small >left
	fi
}
test_expect 'a sort that cannot write its runs fails with the file named, and leaves nothing' '
	setup && gen_posts 5000 4000 >b.ndjson && custos ingest b.ndjson >/dev/null &&
	export_on_full_disk && cat err &&
	test "$(cat rc)" = 1 &&
	grep -q "^custos: cannot export: cannot write the export.s sort file .small/.custos-sort-[A-Za-z0-9]*/[a-z]*-[0-9]*.: File too large\|^custos: cannot export: cannot write the export.s sort file .small/.custos-sort-[A-Za-z0-9]*/[a-z]*-[0-9]*.: No space left on device" err &&
	test ! -s left &&
	custos audit --json | grep "\"action\":\"export\"" | tail -n 1 | grep -q "sort file" &&
	test_exit 1 env CUSTOS_TEST_SORT_BUDGET=many "$CUSTOS" export post --format jsonl --out p 2>err &&
	grep -q "CUSTOS_TEST_SORT_BUDGET .many. is not a number of entries" err && test ! -e p
'
test_expect 'a hold produces what hold show lists as captured, active and released' '
	setup && printf "x:5\nx:6\nx:99999\n" >ids.txt &&
	custos hold create h --query "#topic3" --with-thread --ids ids.txt >/dev/null &&
	gen_posts 200 3301 >b.ndjson &&
	printf "%s\n" "{\"id\":\"x:9001\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2024-01-02T00:00:00Z\",\"text\":\"a late reply\",\"in_reply_to\":\"x:5\"}" >>b.ndjson &&
	custos ingest b.ndjson >/dev/null &&
	custos hold show h --json | jq -r ".records[] | select(.captured) | .id" | sort >expect &&
	grep -q "^x:9001$" expect && grep -q "^x:6$" expect &&
	both a --hold h --format jsonl &&
	jq -r ".documents[].id" a.runs/manifest.json | sort >actual && test_cmp expect actual &&
	custos hold release h --reason "matter closed" >/dev/null &&
	custos hold show h --json | jq -r ".records[] | select(.captured) | .id" | sort >expect &&
	both r --hold h --format jsonl &&
	jq -r ".documents[].id" r.runs/manifest.json | sort >actual && test_cmp expect actual
'
test_done
