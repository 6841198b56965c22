#!/bin/sh
# plain-only: crash and load loops run once, in the plain pass (not under the sanitizers)
# kill -9 during the commands that write the policy repository, the holds and
# the index: after every kill the archive verifies, git fsck finds the policy
# repository sound, and the same command then completes (a lock file a killed
# writer left is recovered, not left for someone to delete by hand).
. tests/cli/lib.sh
. tests/cli/gen.sh

schedule() {
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: %s\n' "$1"
}
now_ms() { echo $(($(date +%s%N) / 1000000)); }
# timed CMD...: runs it to completion and sets $took to its duration in ms
timed() {
	t0=$(now_ms) && "$@" >/dev/null && took=$(($(now_ms) - t0 + 1))
}
# kill_within MS SEED CMD...: runs CMD and kills it -9 at a random instant in
# its first MS * 1.2 milliseconds (the scale is a measured run of the same
# command, so the kills land inside it on a fast or a slow machine)
kill_within() {
	d=$(awk -v ms="$1" -v s="$2" "BEGIN { srand(s * 7919); printf \"%.3f\", (1 + rand() * ms * 1.2) / 1000 }")
	shift 2
	timeout -s KILL "$d" "$CUSTOS" "$@" >/dev/null 2>&1 || true
}
# sound WHEN: verify and git fsck after a kill
sound() {
	custos verify >verify.out 2>&1 || { echo "verify failed after $1"; cat verify.out; return 1; }
	git -C archive/policy fsck --strict --no-dangling >fsck.out 2>&1 ||
		{ echo "git fsck failed after $1"; cat fsck.out; return 1; }
	test_cmp /dev/null fsck.out
}
# no lock file is left behind once a command ran to its end
no_locks() {
	find archive/policy -name "*.lock" ! -name custos.lock >locks &&
	test_cmp /dev/null locks
}

test_expect 'kills during policy set and hold create/release: always sound, always recoverable' '
	custos init >/dev/null && gen_posts 1000 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	schedule 7y >a.yaml && schedule 8y >b.yaml &&
	timed custos policy set a.yaml && set_ms=$took &&
	i=0 &&
	while [ $i -lt 12 ]; do
		i=$((i + 1))
		if [ $((i % 2)) = 0 ]; then f=a.yaml want=7y; else f=b.yaml want=8y; fi
		kill_within $set_ms $i policy set $f &&
		sound "policy set kill $i" &&
		custos policy set $f >/dev/null && no_locks &&
		custos policy show >shown && grep -q "retain: $want" shown ||
		{ echo "policy set failed after kill $i"; exit 1; }
	done &&
	timed custos hold create h0 --query topic1 --reason first && create_ms=$took &&
	i=0 &&
	while [ $i -lt 8 ]; do
		i=$((i + 1))
		kill_within $create_ms $((i + 100)) hold create h$i --query "topic$((i % 13))" --reason "matter $i" &&
		sound "hold create kill $i" &&
		custos hold list >/dev/null &&
		{ custos hold show h$i >/dev/null 2>&1 ||
		  custos hold create h$i --query "topic$((i % 13))" --reason "matter $i" >/dev/null; } &&
		no_locks || { echo "hold create failed after kill $i"; exit 1; }
	done &&
	timed custos hold release h0 --reason settled && release_ms=$took &&
	i=0 &&
	while [ $i -lt 8 ]; do
		i=$((i + 1))
		kill_within $release_ms $((i + 200)) hold release h$i --reason "settled $i" &&
		sound "hold release kill $i" &&
		custos hold list >list &&
		{ grep -q "^h$i  *released" list ||
		  custos hold release h$i --reason "settled $i" >/dev/null; } &&
		no_locks || { echo "hold release failed after kill $i"; exit 1; }
	done &&
	custos hold list >list && test $(grep -c " released " list) = 9 &&
	sound "the last release" &&
	custos audit --json | jq -c . >/dev/null
'
test_expect 'kills during index --rebuild and retention apply: sound, and the rerun completes' '
	custos init >/dev/null && gen_posts 3000 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	timed custos index --rebuild && rebuild_ms=$took &&
	i=0 &&
	while [ $i -lt 6 ]; do
		i=$((i + 1))
		kill_within $rebuild_ms $((i + 300)) index --rebuild &&
		sound "index --rebuild kill $i" &&
		test "$(custos search --count post)" = 3000 ||
		{ echo "search after rebuild kill $i"; exit 1; }
	done &&
	custos index --rebuild >/dev/null && test "$(custos search --count post)" = 3000 &&
	schedule 1d >r.yaml && custos policy set r.yaml >/dev/null &&
	timed custos retention apply --yes && apply_ms=$took &&
	test "$(custos search --count post)" = 0 &&
	i=0 && next=10001 &&
	while [ $i -lt 6 ]; do
		i=$((i + 1))
		gen_posts 3000 $next >n.ndjson && next=$((next + 3000)) &&
		custos ingest n.ndjson >/dev/null &&
		kill_within $apply_ms $((i + 400)) retention apply --yes &&
		sound "retention apply kill $i" &&
		custos retention apply --yes >/dev/null &&
		sound "the apply after kill $i" &&
		test "$(custos search --count post)" = 0 ||
		{ echo "apply after kill $i"; exit 1; }
	done &&
	custos stats --json | jq -e ".tombstones == 21000 and .disposed_records == 21000 and .records == 0" >/dev/null
'
test_done
