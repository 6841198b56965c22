#!/bin/sh
# Read-only archives (a WORM copy, a snapshot, a read-only mount, a copy
# made read-only with chmod): reading and verifying work, say that they are
# not audited, and change nothing. Mounts where the test can (as root),
# skips those parts with a message where it cannot.
. tests/cli/lib.sh
. tests/cli/gen.sh

# make_archive: an archive with records, a hold and a schedule
make_archive() {
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos hold create h1 --query topic1 --reason r >/dev/null &&
	printf 'rules:\n  - name: default\n    match: "*"\n    retain: 7y\n' >r.yaml &&
	custos policy set r.yaml >/dev/null
}
# reads_work DIR [RUNNER...]: show, verify, search, hold list, audit and
# retention plan of the archive at DIR work and say they are not audited
reads_work() {
	dir=$1; shift
	"$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" show x:3 >show.out 2>show.err &&
	grep -q "post number 3 about" show.out &&
	grep -q "this command is not audited" show.err &&
	"$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" verify >verify.out 2>verify.err &&
	grep -q "^verified 30 records (30 versions)" verify.out &&
	grep -q "this command is not audited" verify.err &&
	test "$("$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" search --count post 2>/dev/null)" = 30 &&
	"$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" hold list >holds.out 2>/dev/null &&
	grep -q "^h1  *active" holds.out &&
	"$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" audit >/dev/null 2>&1 &&
	"$@" env CUSTOS_ARCHIVE="$dir" HOME="$TEST_DIR" "$CUSTOS" retention plan >/dev/null 2>&1
}
# unchanged DIR: no file of the archive changed since snapshot DIR
snapshot() { (cd "$1" && find . -type f -exec sha256sum {} + | sort -k 2) >"$2"; }

if [ "$(id -u)" = 0 ] && mkdir -p ro-probe && mount -t tmpfs tmpfs ro-probe 2>/dev/null; then
	umount ro-probe
	can_mount=1
else
	can_mount=
fi
rmdir ro-probe 2>/dev/null

if [ -n "$can_mount" ]; then
	test_expect 'a read-only bind mount: show and verify work, unaudited, and say so' '
		make_archive && mkdir ro && mount --bind archive ro &&
		{ mount -o remount,bind,ro ro || { umount ro; exit 1; }; } &&
		snapshot archive before &&
		{ reads_work "$TEST_DIR/ro"; rc=$?; umount ro; test $rc = 0; } &&
		grep -q "^index: its tables were not read through Xapian.s checker" verify.out &&
		snapshot archive after && test_cmp before after
	'
	test_expect 'a tmpfs remounted read-only: show and verify work, unaudited' '
		make_archive && mkdir t && mount -t tmpfs -o mode=0700 tmpfs t &&
		{ cp -a archive/. t/ && chmod 700 t && mount -o remount,ro t || { umount t; exit 1; }; } &&
		{ reads_work "$TEST_DIR/t"; rc=$?; umount t; test $rc = 0; }
	'
	test_expect 'damage in a read-only copy is still named by verify' '
		make_archive && printf "\377" | dd of=archive/keys/slots bs=1 seek=$((32 * 7 + 3)) conv=notrunc 2>/dev/null &&
		mkdir ro && mount --bind archive ro && mount -o remount,bind,ro ro &&
		{ test_exit 1 env CUSTOS_ARCHIVE="$TEST_DIR/ro" "$CUSTOS" verify 2>err; rc=$?; umount ro; test $rc = 0; } &&
		grep -q "seq 7" err
	'
else
	test_skip 'read-only mounts' 'cannot mount here (needs root): the chmod copy is tested alone'
fi

# A copy made read-only with chmod: LMDB cannot open its lock file there.
# As root (who writes anyway), the copy is read by an unprivileged user.
if [ "$(id -u)" = 0 ]; then
	if command -v setpriv >/dev/null 2>&1 && id nobody >/dev/null 2>&1; then
		test_expect 'a copy made read-only with chmod, read by its owner: reads work without the lock file, and say so' '
			make_archive && cp -a archive copy && chown -R nobody copy &&
			chmod 755 "$TEST_DIR" "$TEST_DIR/.." && chmod -R a-w copy &&
			reads_work "$TEST_DIR/copy" setpriv --reuid=nobody --regid=nogroup --clear-groups &&
			grep -q "read without its lock file" verify.err
		'
	else
		test_skip 'a copy made read-only with chmod' 'setpriv or the user nobody is missing'
	fi
else
	test_expect 'a copy made read-only with chmod: reads work without the lock file, and say so' '
		make_archive && cp -a archive copy && chmod -R a-w copy &&
		reads_work "$TEST_DIR/copy" &&
		grep -q "read without its lock file" verify.err &&
		chmod -R u+w copy
	'
fi
test_done
