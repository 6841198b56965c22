#!/bin/sh
# Bad input: a clear error naming file and position, nothing half-written.
. tests/cli/lib.sh
. tests/cli/gen.sh

test_expect 'a malformed line stops the ingest at its file and line; earlier batches stay' '
	custos init >/dev/null &&
	gen_posts 10 >bad.ndjson && echo "{not json" >>bad.ndjson && gen_posts 5 11 >>bad.ndjson &&
	test_exit 1 custos ingest --batch 4 --json bad.ndjson >out 2>err &&
	jq -e ".added == 8 and (.error | test(\"bad.ndjson:11: \")) and .status == \"format\"" out >/dev/null &&
	test ! -s err &&
	custos stats --json >st && grep -q "\"records\": 8," st &&
	custos verify >/dev/null
'
test_expect 'after the fix the same ingest completes without duplicates' '
	custos init >/dev/null &&
	gen_posts 10 >f.ndjson && echo "{not json" >>f.ndjson && gen_posts 5 11 >>f.ndjson &&
	test_exit 1 custos ingest --batch 4 f.ndjson >/dev/null 2>&1 &&
	sed -i "/^{not json/d" f.ndjson &&
	custos ingest --json f.ndjson >out &&
	grep -q "\"added\": 7, \"versions\": 0, \"unchanged\": 8" out &&
	custos stats --json >st && grep -q "\"records\": 15, \"versions\": 15" st
'
test_expect '--skip-bad quarantines bad lines with their raw bytes and goes on' '
	custos init >/dev/null &&
	gen_posts 3 >q.ndjson && printf "{\"id\": broken\n" >>q.ndjson && gen_posts 2 4 >>q.ndjson &&
	echo "{\"id\":\"x:99\",\"platform\":\"x\",\"text\":\"no author\",\"created_at\":\"2020-01-01\"}" >>q.ndjson &&
	custos ingest --skip-bad --json q.ndjson >out &&
	grep -q "\"added\": 5, \"versions\": 0, \"unchanged\": 0, \"quarantined\": 2" out &&
	custos quarantine list >list &&
	grep -q "q.ndjson:4" list && grep -q "q.ndjson:7" list && grep -q "author.handle" list &&
	custos quarantine show --raw 1 >raw &&
	printf "{\"id\": broken" >expect && cmp expect raw &&
	custos stats --json >st && grep -q "\"quarantined\": 2" st
'
test_expect 're-ingesting with --skip-bad adds nothing to quarantine either' '
	custos init >/dev/null &&
	gen_posts 3 >r.ndjson && printf "{\"id\": broken\n" >>r.ndjson && gen_posts 2 4 >>r.ndjson &&
	printf "{\"id\": broken\n" >>r.ndjson &&
	custos ingest --skip-bad --json r.ndjson >out1 &&
	grep -q "\"added\": 5, \"versions\": 0, \"unchanged\": 0, \"quarantined\": 2" out1 &&
	custos ingest --skip-bad --json r.ndjson >out2 &&
	grep -q "\"added\": 0, \"versions\": 0, \"unchanged\": 5, \"quarantined\": 0" out2 &&
	custos quarantine list >list && test "$(grep -c "r.ndjson:" list)" = 2 &&
	custos stats --json >st && grep -q "\"quarantined\": 2" st &&
	custos verify >/dev/null
'
test_expect 'invalid UTF-8 is refused naming line and byte' '
	custos init >/dev/null &&
	gen_posts 2 >u.ndjson &&
	printf "{\"id\":\"x:50\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"created_at\":\"2020-01-01\",\"text\":\"caf\351\"}\n" >>u.ndjson &&
	test_exit 1 custos ingest u.ndjson 2>err &&
	grep -q "u.ndjson:3: .*UTF-8" err
'
test_expect 'a 50 MB single line is refused clearly, not crashed on' '
	custos init >/dev/null &&
	big_line 52428800 >big.ndjson &&
	test_exit 1 custos ingest big.ndjson 2>err &&
	grep -q "big.ndjson: line 1 (byte 0) is longer than" err &&
	custos stats --json >st && grep -q "\"records\": 0," st
'
test_expect 'an empty file adds nothing and succeeds' '
	custos init >/dev/null && : >empty.ndjson &&
	custos ingest --json empty.ndjson >out &&
	grep -q "\"added\": 0, \"versions\": 0, \"unchanged\": 0, \"quarantined\": 0" out
'
test_expect 'a missing file is an error before anything is written' '
	custos init >/dev/null && gen_posts 2 >ok.ndjson &&
	test_exit 1 custos ingest ok.ndjson missing.ndjson 2>err &&
	grep -q "cannot read .missing.ndjson.: No such file" err &&
	custos stats --json >st && grep -q "\"records\": 0," st
'
if command -v setpriv >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
test_expect 'a directory without permission is refused and the archive untouched' '
	custos init >/dev/null && chown -R nobody:nogroup archive && chmod a+rx . &&
	mkdir locked && gen_posts 2 >locked/a.ndjson && chmod 000 locked &&
	test_exit 1 setpriv --reuid=nobody --regid=nogroup --clear-groups "$CUSTOS" --archive archive ingest locked 2>err &&
	grep -qi "permission denied" err &&
	custos stats --json >st && grep -q "\"records\": 0," st
'
else
test_skip 'a directory without permission' 'needs root and setpriv to run as another user'
fi
test_expect 'a record that is not an object, or lacks required fields, names the problem' '
	custos init >/dev/null &&
	echo "[1,2]" >arr.ndjson &&
	test_exit 1 custos ingest arr.ndjson 2>err && grep -q "arr.ndjson:1: .*JSON object" err &&
	echo "{\"id\":\"x:1\",\"platform\":\"x\",\"author\":{\"handle\":\"a\"},\"text\":\"t\"}" >nodate.ndjson &&
	test_exit 1 custos ingest nodate.ndjson 2>err && grep -q "nodate.ndjson:1: .*created_at" err
'
test_done
