#!/bin/sh
# custos init and opening archives.
. tests/cli/lib.sh

test_expect 'init creates an archive that verifies' '
	custos init >out &&
	grep -q "initialised empty custos archive" out &&
	test -d archive/store &&
	custos verify >out &&
	grep -q "verified 0 records (0 versions)" out
'
test_expect 'init refuses an existing archive' '
	custos init &&
	! custos init 2>err &&
	grep -q "already an archive" err
'
test_expect 'init refuses a non-empty directory' '
	mkdir archive && echo x >archive/file &&
	! custos init 2>err &&
	grep -q "is not empty" err
'
test_expect 'a directory that is not an archive is refused clearly' '
	mkdir notarchive &&
	test_exit 1 custos --archive notarchive stats 2>err &&
	grep -q "^custos: " err && grep -qi "not a custos archive\|no archive" err &&
	test -z "$(ls notarchive)"
'
test_expect 'no archive named is a clear error' '
	unset CUSTOS_ARCHIVE &&
	test_exit 1 custos stats 2>err && grep -q "no archive" err
'
test_expect 'unknown command and bad usage exit 2' '
	test_exit 2 custos frobnicate 2>err &&
	test_exit 2 custos show 2>err && grep -q "usage: custos show" err
'
test_expect 'every command has --help' '
	for c in init ingest quarantine show stats verify audit; do
		custos $c --help >out && grep -q "usage: custos $c" out || exit 1
	done
'
test_done
