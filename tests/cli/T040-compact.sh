#!/bin/sh
# custos compact: after a disposition the store's file shrinks and says the
# same (records, tombstones, the retention log, verify); the writer lock
# keeps other writers out meanwhile; a kill at either side of the swap, or
# at any instant, leaves an archive that opens, verifies and compacts again.
. tests/cli/lib.sh
. tests/cli/gen.sh

# an archive of 2,500 posts, 2,000 of them disposed of (2023), 500 kept (2026)
disposed_archive() {
	custos init >/dev/null && gen_posts 2000 >old.ndjson &&
	gen_posts 500 5001 | sed "s/\"2023-/\"2026-/" >new.ndjson &&
	custos ingest old.ndjson new.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 2y\n" >r.yaml &&
	custos policy set r.yaml >/dev/null &&
	custos retention apply --yes --json >apply.json &&
	test "$(jq .disposed.records apply.json)" = 2000
}
# what the archive says, which compaction must not change
state() {
	custos stats --json | jq -c "del(.file_bytes, .disk_bytes)" >"$1.stats" &&
	custos retention log --json >"$1.log" &&
	custos verify --json | jq -c "{records, versions, tombstones, chain: .record_chain}" >"$1.verify" &&
	custos search --count "topic3" >"$1.search"
}
same_state() {
	test_cmp "$1.stats" "$2.stats" && test_cmp "$1.log" "$2.log" &&
	test_cmp "$1.verify" "$2.verify" && test_cmp "$1.search" "$2.search"
}
size() { stat -c %s archive/store/data.mdb; }

test_expect 'compact after a disposition: a smaller file saying the same, audited' '
	disposed_archive && state before && b=$(size) &&
	custos compact --json >c.json &&
	test "$(jq .bytes_before c.json)" = "$b" && test "$(jq .bytes_after c.json)" = "$(size)" &&
	test $(($(size) * 2)) -lt "$b" &&
	test ! -e archive/store/compact.mdb && test ! -e archive/store/compact.mdb-lock &&
	state after && same_state before after &&
	custos audit --json --action "compact*" | jq -r ".action" >actions &&
	printf "compact-begin\ncompact\n" >expect && test_cmp expect actions &&
	custos audit --json --action compact | jq -c ".result | [.bytes_before, .bytes_after]" >res &&
	echo "[$b,$(size)]" >expect && test_cmp expect res &&
	find archive -perm /077 >open && test_cmp /dev/null open &&
	gen_posts 10 9001 | sed "s/\"2023-/\"2026-/" >more.ndjson &&
	custos ingest more.ndjson >/dev/null && custos verify >/dev/null &&
	test "$(custos stats --json | jq .records)" = 510
'

# whether the file system here punches holes (util-linux fallocate -p)
can_punch() {
	head -c 8192 /dev/urandom >probe && sync probe && fallocate -p -o 0 -l 4096 probe 2>/dev/null &&
	test "$(stat -c %b probe)" -lt 16
}
# disk KEYFILE: what keys/KEYFILE takes on disk, in bytes
disk() { echo $(($(stat -c "%b * %B" archive/keys/$1))); }
test_expect 'the key slots of the records disposed of are given back to the file system, in whole 4 KB blocks' '
	disposed_archive && custos stats --json >s.json &&
	size=$(stat -c %s archive/keys/slots) && test "$size" -ge $((2500 * 32)) &&
	test "$(jq .file_bytes s.json)" -gt 0 && test "$(jq .disk_bytes s.json)" -gt 0 &&
	if can_punch; then
		test "$(disk slots)" -le $(((size + 4095) / 4096 * 4096 - 15 * 4096)) &&
		test "$(jq .disk_bytes s.json)" -lt "$(jq .file_bytes s.json)"
	else
		test "$(disk slots)" -ge "$size"
	fi &&
	custos compact --json >c.json && test "$(jq .keys_punched c.json)" = 0 &&
	test "$(stat -c %s archive/keys/slots)" = "$size" &&
	custos verify >/dev/null && test "$(custos stats --json | jq .records)" = 500 &&
	id=$(tail -n 1 new.ndjson | jq -r .id) && custos show "$id" >/dev/null
'
test_expect 'compact holds the writer lock: another writer is told who writes' '
	disposed_archive &&
	flag=$TEST_DIR/paused &&
	{ CUSTOS_TEST_PAUSE_AT=compact-before-swap CUSTOS_TEST_PAUSE_FILE=$flag "$CUSTOS" compact \
	    >/dev/null 2>&1 & } && pid=$! &&
	i=0 && while [ ! -e "$flag" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i + 1)); done &&
	test -e "$flag" &&
	test_exit 1 custos retention apply --yes 2>err &&
	grep -q "another custos process is writing to .*(pid $pid: custos compact)" err &&
	custos verify >/dev/null &&
	kill -9 $pid && wait $pid 2>/dev/null; true
'

test_expect 'a kill before the swap leaves the store as it was; the next compact removes the copy' '
	disposed_archive && state before && b=$(size) && cp archive/store/data.mdb keep.mdb &&
	crash_at compact-before-swap "$CUSTOS" compact &&
	test -e archive/store/compact.mdb && cmp keep.mdb archive/store/data.mdb &&
	custos verify >/dev/null && state mid && same_state before mid &&
	custos compact >/dev/null && test ! -e archive/store/compact.mdb && test "$(size)" -lt "$b" &&
	state after && same_state before after
'

test_expect 'a kill after the swap leaves the compacted store, which opens, verifies and takes records' '
	disposed_archive && state before && b=$(size) &&
	crash_at compact-after-swap "$CUSTOS" compact &&
	test ! -e archive/store/compact.mdb && test "$(size)" -lt "$b" &&
	state after && same_state before after &&
	custos ingest new.ndjson >/dev/null && custos verify >/dev/null
'

test_expect 'kills at random instants of compact: always sound, always compacts after' '
	disposed_archive && state before && b=$(size) &&
	t0=$(date +%s%N) && cp -a archive spare && custos compact >/dev/null &&
	ms=$((($(date +%s%N) - t0) / 1000000 + 1)) && rm -rf archive && mv spare archive &&
	i=0 &&
	while [ $i -lt 6 ]; do
		i=$((i + 1))
		d=$(awk -v ms="$ms" -v s="$i" "BEGIN { srand(s * 7919); printf \"%.3f\", (1 + rand() * ms * 1.2) / 1000 }")
		timeout -s KILL "$d" "$CUSTOS" compact >/dev/null 2>&1 || true
		state k$i && same_state before k$i || { echo "not the same after kill $i"; exit 1; }
	done &&
	custos compact >/dev/null && test "$(size)" -lt "$b" && test ! -e archive/store/compact.mdb &&
	state after && same_state before after
'

test_expect 'compact --help names its options; stray arguments are usage errors' '
	custos compact --help >h && grep -q -- "--json" h &&
	test_exit 2 custos compact extra
'

test_done
