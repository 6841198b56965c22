#!/bin/sh
# custos export: productions read back by independent readers (our own DAT
# and OPT parsers, xmllint, python's email and zipfile with a JSON Schema
# validator for RSMF, pdftotext and pdfinfo for the Bates stamps) and
# checked against the archive; the bad inputs of a production.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/production.sh

PY=/usr/bin/python3
READ="$PY $TOP/tests/cli/production_read.py"
SCHEMA=$FIXTURES/rsmf-relativity-samples/RSMFManifestSchema/rsmf_schema_2_0_0.json


# Real exports: a Slack workspace (channels, joins, threads) and an X
# archive with media files.
setup_real() {
	custos init >/dev/null &&
	custos ingest "$FIXTURES"/slack-export-viewer-testarchive/*.zip \
		"$FIXTURES/x-archive-milahu104" >/dev/null
}

if ! have_fixtures; then
	skip_all "no ../shared/fixtures"
	test_done
	exit 0
fi

test_expect 'dat with images: numbering, families, hashes, natives, text and stamps match the archive' '
	setup_real &&
	custos export "platform:slack OR has:media" --format dat,edrm --images --bates ACME-P \
		--start 101 --out prod >out &&
	grep -q "^produced 172 records as 174 documents (ACME-P000101 to ACME-P000274) in prod" out &&
	archive_json prod recs.json &&
	$READ dat prod recs.json >r && grep -q "^dat: 174 rows, 172 records, ACME-P000101..ACME-P000274$" r &&
	$READ opt prod >o && grep -q "^opt: 172 documents, 173 pages$" o &&
	ls prod/MEDIA >media && test "$(wc -l <media)" = 2 &&
	custos export --verify prod >v && grep -q "verified$" v &&
	sha=$(sha256sum prod/manifest.json | cut -c1-64) &&
	custos audit --json | grep "\"action\":\"export\"" | grep -q "\"manifest_sha256\":\"$sha\"" &&
	grep -q "manifest.json SHA-256 $sha" out
'
test_expect 'edrm: well-formed XML with one Document per control number and the attachment relations' '
	setup_real &&
	custos export "has:media" --format edrm --out prod >/dev/null &&
	xmllint --noout prod/LOADFILES/production.xml &&
	test "$(xmllint --xpath "count(//Document)" prod/LOADFILES/production.xml)" = "$(jq .bates.documents prod/manifest.json)" &&
	test "$(xmllint --xpath "count(//Relationship[@Type=\"Attachment\"])" prod/LOADFILES/production.xml)" = 2 &&
	for f in $(xmllint --xpath "//ExternalFile/@FileName" prod/LOADFILES/production.xml | sed "s/.*=\"\(.*\)\"/\1/"); do
		ls prod/NATIVES/$f prod/TEXT/$f prod/MEDIA/$f 2>/dev/null | grep -q . || { echo "no file $f"; exit 1; }
	done
'
test_expect 'rsmf: one file per conversation and day, each valid against the RSMF 2.0 schema after MIME unpacking' '
	setup_real &&
	custos export "platform:slack" --format rsmf --out prod >/dev/null &&
	$READ rsmf prod "$SCHEMA" 158 >r && grep -q "^rsmf: [0-9]* files, 158 events, schema-valid$" r &&
	custos export --verify prod >v && grep -q "158 records, 158 documents, 0 load-file lines, [0-9]* RSMF files" v
'
test_expect 'jsonl and csv carry every field, the content hash, the source and the raw bytes of the archive' '
	setup_real &&
	n=$(custos search --count "platform:x") && test "$n" -gt 100 &&
	custos export "platform:x" --format jsonl,csv --out prod >/dev/null &&
	archive_json prod recs.json &&
	$READ records prod recs.json >r && grep -q "^records: $n JSONL lines, $n CSV rows$" r
'
test_expect 'html: a page per thread naming each record and its control number' '
	custos init >/dev/null && gen_posts 12 >a.ndjson &&
	printf "%s\n" "{\"id\":\"x:100\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2024-01-02T00:00:00Z\",\"text\":\"a reply <b>\",\"in_reply_to\":\"x:1\"}" >>a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	custos export "#topic1 OR b" --format html --out prod >/dev/null &&
	ls prod/HTML >pages && test "$(wc -l <pages)" = 2 &&
	grep -q "a reply &lt;b&gt;" prod/HTML/CUSTOS000001.html &&
	grep -q "CUSTOS000002" prod/HTML/CUSTOS000001.html &&
	grep -q "href=\"CUSTOS000001.html\"" prod/HTML/index.html
'
test_expect 'a hold, and --with-thread: the conversations of the records found come along' '
	custos init >/dev/null && gen_posts 30 >a.ndjson &&
	printf "%s\n" "{\"id\":\"x:100\",\"platform\":\"x\",\"author\":{\"handle\":\"b\"},\"created_at\":\"2024-01-02T00:00:00Z\",\"text\":\"a reply\",\"in_reply_to\":\"x:1\"}" >>a.ndjson &&
	custos ingest a.ndjson >/dev/null &&
	custos hold create h --query "#topic1" >/dev/null &&
	custos export --hold h --format jsonl --out p1 >/dev/null &&
	jq -e ".records == 3 and .selection.hold == \"h\"" p1/manifest.json >/dev/null &&
	custos export "#topic1" --with-thread --format jsonl,dat --out p2 >/dev/null &&
	jq -r ".documents[].id" p2/manifest.json >ids && printf "x:1\nx:14\nx:27\nx:100\n" >expect &&
	test_cmp expect ids &&
	custos audit --json | grep "\"action\":\"export\"" | tail -n 1 | grep -q "\"with_thread\":true"
'
test_expect 'a matter: tags by query, ids and thread; privileged records withheld and logged; confidential endorsed' '
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos --actor "Rita Reviewer" matter create acme --tag hot >/dev/null &&
	custos --actor "Rita Reviewer" matter tag acme responsive --query "#topic3 OR #topic4" >t1 &&
	grep -q "^tagged .responsive. on 6 records (6 changed)$" t1 &&
	custos matter tag acme privileged x:3 --note "Attorney-client" >/dev/null &&
	custos matter tag acme confidential --thread x:4 >/dev/null &&
	test_exit 1 custos matter tag acme nosuchtag x:3 2>err && grep -q "has no tag .nosuchtag." err &&
	test_exit 1 custos matter tag acme hot x:3 x:999 2>err && grep -q "no record .x:999.: nothing was tagged" err &&
	custos matter save-search acme s3 --query "#topic3" >s && grep -q "3 hits at index watermark 30" s &&
	custos matter show acme --json >j &&
	jq -e ".tags.responsive == 6 and .tags.privileged == 1 and .tags.confidential == 1 and .coded == 6 and .custodians.acme == 6 and .platforms.x == 6 and .searches[0].hits == 3" j >/dev/null &&
	custos audit --json | grep "\"action\":\"matter-tag\"" | grep -q "\"actor\":\"Rita Reviewer\".*\"ids_sha256\":\"[0-9a-f]\{64\}\"" &&
	custos audit --json | jq -s -e "map(select(.action | startswith(\"matter\"))) | length > 4 and all(.params | type == \"object\")" >/dev/null &&
	custos export --matter acme --tag responsive --format dat --images --out prod >out &&
	grep -q "^withheld as privileged: 1 " out &&
	head -n 2 prod/PRIVILEGE_LOG.csv | tail -n 1 >row &&
	# the privilege log is CSV: the formula guard puts an apostrophe before a handle such as @user3
	grep -q "^CUSTOS00000[0-9],2023-04-04T10:00:00Z,\"'"'"'@user3\",\"'"'"'@user4\",Attorney-client,x post by @user3 in acme" row &&
	pdftotext prod/PRIVILEGE_LOG.pdf - | grep -q "Attorney-client" &&
	wh=$(cut -d, -f1 row) && ! ls prod/NATIVES | grep -q "$wh" &&
	pdftotext prod/IMAGES/$wh.pdf - | grep -q "Withheld: Attorney-client" &&
	! pdftotext prod/IMAGES/$wh.pdf - | grep -q "post number 3" &&
	conf=$(jq -r ".documents[] | select(.id == \"x:4\") | .bates" prod/manifest.json) &&
	pdftotext prod/IMAGES/$conf.pdf - | grep -q "^CONFIDENTIAL$" &&
	$PY -c "
import sys; sys.path.insert(0, \"$TOP/tests/cli\")
from production_read import dat_rows
h, rows = dat_rows(\"prod/LOADFILES/production.dat\")
t = {r[h.index(\"RECORDID\")]: r[h.index(\"TAGS\")] for r in rows}
assert t[\"x:3\"] == \"responsive; privileged\", t[\"x:3\"]
assert t[\"x:4\"] == \"responsive; confidential\", t[\"x:4\"]
assert len(rows) == 6
" && custos export --verify prod >/dev/null
'
test_expect 'bad input: a non-empty or unwritable directory, no hits, a bad prefix, a bad field' '
	custos init >/dev/null && gen_posts 5 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	mkdir full && echo keep >full/x &&
	test_exit 1 custos export "#topic1" --format dat --out full 2>err &&
	grep -q "^custos: cannot export: .full. is not empty" err && test "$(ls full)" = x &&
	echo file >afile &&
	test_exit 1 custos export "#topic1" --format dat --out afile/prod 2>err &&
	grep -q "^custos: cannot export: cannot create the production directory .afile/prod.: Not a directory" err &&
	test_exit 1 custos export "nosuchwordanywhere" --format dat --out none 2>err &&
	grep -q "^custos: cannot export: the query matches no record: nothing to produce (index watermark 5); no directory was made" err &&
	test ! -e none &&
	test_exit 1 custos export "#topic1" --format dat --bates "AB/C" --out p1 2>err &&
	grep -q "the Bates prefix .AB/C. cannot be part of a file name" err && test ! -e p1 &&
	test_exit 1 custos export "#topic1" --format dat --bates "" --out p1 2>/dev/null &&
	test_exit 1 custos export "#topic1" --format dat --fields BEGDOC,NOPE --out p1 2>err &&
	grep -q "unknown DAT field .NOPE." err &&
	test_exit 2 custos export "#topic1" --format pdfish --out p1 2>err &&
	grep -q "unknown export format .pdfish." err &&
	test_exit 1 custos export "#topic1" --format dat --fields TAGS --out p1 2>err &&
	grep -q "needs a matter" err &&
	custos audit --json | grep "\"action\":\"export\"" | grep -q "\"status\":\"" &&
	custos audit --json | jq -s -e "map(select(.action == \"export\")) | length > 0 and all(.params.formats == [\"dat\"])" >/dev/null &&
	mkdir empty && custos export "#topic1" --format dat --out empty >/dev/null && test -f empty/manifest.json
'
# Exports into a directory on a 64 KiB tmpfs when this machine lets us
# mount one, else under a 8 KiB file size limit (RLIMIT_FSIZE, SIGXFSZ
# ignored); leaves what it wrote in copy/, the status in rc, stderr in err.
export_on_full_disk() {
	mkdir small
	if mount -t tmpfs -o size=64k tmpfs small 2>/dev/null; then
		echo "disk full: a 64 KiB tmpfs"
		custos export "post" --format dat,jsonl --out small/prod 2>err; echo $? >rc
		cp -r small/prod copy; umount small
	else
		echo "disk full: no mount allowed here; RLIMIT_FSIZE of 8 KiB instead"
		(trap "" XFSZ; ulimit -f 16; exec "$CUSTOS" export "post" --format dat,jsonl \
			--out small/prod) 2>err; echo $? >rc
		cp -r small/prod copy
	fi
}
test_expect 'a disk that fills mid-way: a clear message, no manifest, and verify says so' '
	custos init >/dev/null && gen_posts 400 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	export_on_full_disk && cat err &&
	test "$(cat rc)" = 1 &&
	grep -q "^custos: cannot export: cannot write .small/prod/.*the production is incomplete and has no manifest" err &&
	test ! -e copy/manifest.json && test -d copy/NATIVES &&
	test_exit 1 custos export --verify copy 2>verr &&
	grep -q "no manifest.json in .copy.: not a finished production" verr &&
	custos audit --json | grep "\"action\":\"export\"" | grep -q "incomplete and has no manifest"
'
test_expect 'export --verify names a changed, a missing and an added file, and a broken load file' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos export "post" --format dat,rsmf --out prod >/dev/null &&
	cp -r prod p1 && printf x >>p1/NATIVES/CUSTOS000003.json &&
	test_exit 1 custos export --verify p1 >out 2>err &&
	grep -q "^problem: .NATIVES/CUSTOS000003.json. does not match the manifest" out &&
	grep -q "NOT VERIFIED" out &&
	cp -r prod p2 && rm p2/TEXT/CUSTOS000002.txt && echo x >p2/extra.txt &&
	test_exit 1 custos export --verify p2 >out 2>/dev/null &&
	grep -q "TEXT/CUSTOS000002.txt. is listed in the manifest but cannot be read" out &&
	grep -q ".extra.txt. is in the directory but not in the manifest" out &&
	cp -r prod p3 && rm p3/manifest.json &&
	test_exit 1 custos export --verify p3 2>err && grep -q "not a finished production" err &&
	custos export --verify --json prod | jq -e ".ok and .records == 10 and .rsmf_files > 0" >/dev/null
'
test_expect 'audit --export: the chain and the disposition log re-verify with sha256sum and jq alone' '
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT #topic1\"\n    retain: 7y\n" >r.yaml &&
	custos policy set r.yaml -m s >/dev/null && custos retention apply --yes >/dev/null &&
	custos audit --export aud >out && grep -q "^exported [0-9]* audit entries (head [0-9a-f]\{64\}) and 3 tombstones to aud" out &&
	cd aud && sha256sum -c SHA256SUMS >/dev/null &&
	head -n 1 audit.jsonl | jq -e ".prev == (\"0\" * 64)" >/dev/null &&
	jq -r .prev audit.jsonl | tail -n +2 >../prev.txt &&
	head -n -1 audit.jsonl | while IFS= read -r l; do printf "%s" "$l" | sha256sum | cut -c1-64; done >../hash.txt &&
	cmp ../prev.txt ../hash.txt &&
	test "$(wc -l <tombstones.jsonl)" = 3 && jq -e ".rule == \"default\"" tombstones.jsonl >/dev/null &&
	test "$(head -n 1 tombstones.csv | cut -d, -f1-3)" = "id,version,seq" &&
	grep -q "sha256sum" README.txt && cd .. &&
	test_exit 1 custos audit --export aud 2>err && grep -q "is not empty" err
'
test_expect 'disposition keeps the fact of coding, not the tags' '
	custos init >/dev/null && gen_posts 30 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	custos matter create m >/dev/null && custos matter tag m privileged --query "#topic1" --note secret-note >/dev/null &&
	custos matter tag m privileged --query "#topic2" --note other-note >/dev/null &&
	printf "rules:\n  - name: default\n    match: \"*\"\n    retain: 1y\n  - name: keep\n    match: \"NOT #topic1\"\n    retain: 7y\n" >r.yaml &&
	custos policy set r.yaml -m s >/dev/null && custos retention apply --yes >/dev/null &&
	custos matter show m --json >j &&
	jq -e ".tags.privileged == 3 and .coded == 3 and .disposed == 3" j >/dev/null &&
	mdb_dump -a -p archive/matters >dump && grep -q "privileged" dump && ! grep -q "secret-note" dump &&
	custos audit --json | grep -q "\"action\":\"retention-apply\",.*\"status\":\"ok\""
'
test_done
