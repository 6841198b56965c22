#!/bin/sh
# A full disk: the store says the disk is full (not "Input/output error")
# and keeps what it committed; when the audit log cannot take the entry
# that reports committed records, the next writer accounts for them
# ("ingest-recovered"), and the archive verifies. On small tmpfs mounts:
# skipped where the test cannot mount.
. tests/cli/lib.sh
. tests/cli/gen.sh

mnt=$(mktemp -d "${TMPDIR:-/tmp}/custos-full-XXXXXX")
if ! mount -t tmpfs -o size=2m,mode=0700 tmpfs "$mnt" 2>/dev/null; then
	rmdir "$mnt"
	test_skip 'a full disk' 'cannot mount a tmpfs here (needs root): run as root to test it'
	test_done
	exit
fi
aud=$mnt/audit-fs
cleanup() {
	umount "$mnt/archive2/audit" 2>/dev/null
	umount "$mnt" 2>/dev/null
	rm -rf "$mnt"
}
trap cleanup EXIT

# accounted: every committed seq is named by an audit entry (ingest or
# ingest-recovered: last_seq)
accounted() {
	last=$(custos stats --json | jq .last_seq) &&
	named=$(custos audit --json |
		jq -s '[.[] | select(.action == "ingest" or .action == "ingest-recovered") |
		        .result.last_seq // 0] | max') &&
	{ [ "$named" -ge "$last" ] || { echo "committed up to $last, audited up to $named"; return 1; }; }
}

test_expect 'the store on a full disk says so, and keeps and accounts for what it committed' '
	export CUSTOS_ARCHIVE=$mnt/archive &&
	custos init >/dev/null && gen_posts 9000 >big.ndjson &&
	test_exit 1 custos ingest --no-index big.ndjson >out 2>err &&
	cat err &&
	grep -q "no space left on the device\|No space left on device" err &&
	! grep -qi "input/output error" err &&
	grep -q "the disk holding" err &&
	last=$(custos stats --json | jq .last_seq) && test "$last" -gt 0 &&
	custos audit --json | tail -n 1 | jq -e ".action == \"ingest\" and .status == \"no space left on the device\"" >/dev/null &&
	mount -o remount,size=64m "$mnt" &&
	custos index >/dev/null && accounted && custos verify >/dev/null
'

test_expect 'records committed while the audit log is full are accounted for by the next writer' '
	export CUSTOS_ARCHIVE=$mnt/archive2 &&
	mount -o remount,size=64m "$mnt" &&
	custos init >/dev/null && gen_posts 200 >a.ndjson && gen_posts 200 201 >b.ndjson &&
	custos ingest --no-index a.ndjson >/dev/null &&
	mv "$CUSTOS_ARCHIVE/audit" audit.saved &&
	mkdir -m 700 "$CUSTOS_ARCHIVE/audit" &&
	mount -t tmpfs -o size=16k,mode=0700 tmpfs "$CUSTOS_ARCHIVE/audit" &&
	cp -a audit.saved/. "$CUSTOS_ARCHIVE/audit/" &&
	: "reads fill the log page by page until the room left in its last page" &&
	: "holds ingest-begin but not the ingest entry after it" &&
	i=0 && while :; do
		size=$(stat -c %s "$CUSTOS_ARCHIVE/audit/audit.log") &&
		slack=$((4096 - size % 4096)) &&
		if [ $slack -ge 700 ] && [ $slack -le 1000 ]; then break; fi &&
		custos search --count "post$i" >/dev/null && i=$((i + 1)) &&
		[ $i -lt 400 ] || { echo "no slack found"; exit 1; }
	done &&
	{ dd if=/dev/zero of="$CUSTOS_ARCHIVE/audit/filler" bs=4096 2>/dev/null; true; } &&
	test_exit 1 custos ingest --no-index b.ndjson >out 2>err &&
	cat err && grep -q "no space left on the device\|No space left on device" err &&
	test "$(custos stats --json | jq .last_seq)" = 400 &&
	rm "$CUSTOS_ARCHIVE/audit/filler" &&
	custos index >/dev/null &&
	custos audit --json | jq -s -e "[.[] | select(.action == \"ingest-recovered\")] | length == 1" >/dev/null &&
	accounted && custos verify >/dev/null
'
test_done
