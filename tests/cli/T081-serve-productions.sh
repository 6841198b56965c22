#!/bin/sh
# Productions through custos serve: a production asked over HTTP is the
# production `custos export` makes of the same selection (read back by
# tests/cli/production_read.py); its files are served one by one, whole as
# zip or tar, strictly as its manifest names them (no path leaves it, no
# symbolic link is followed, a changed file is not served); only the role
# that made it reaches it; deleting it removes its files, audited.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh
. tests/cli/production.sh

PY=/usr/bin/python3
READ="$PY $TOP/tests/cli/production_read.py"

# production TOKEN JSON: asks for a production and waits for it; $id is its job
production() {
	[ "$(api "$1" POST /v1/productions -H "Content-Type: application/json" --data-binary "$2")" = 202 ] ||
		{ cat body; return 1; }
	id=$(job_id) && job_wait "$1" "$id" done
}

if have_fixtures; then
test_expect 'a production made over HTTP is the one custos export makes of the same selection' '
	custos init >/dev/null &&
	custos ingest "$FIXTURES"/slack-export-viewer-testarchive/*.zip "$FIXTURES/x-archive-milahu104" >/dev/null &&
	token l legal && serve_start --no-poll &&
	production l "{\"query\":\"has:media\",\"formats\":[\"dat\",\"jsonl\",\"csv\"],\"prefix\":\"ACME-P\",\"start\":101}" &&
	jq -e ".kind == \"production\" and .result.records == 18 and .result.documents == 20 and .result.attachments == 2 and .result.first == \"ACME-P000101\" and .result.last == \"ACME-P000120\" and .progress.phase == \"finish\" and .progress.done == 18 and .progress.total == 18 and .role == \"legal\" and .token == \"l\" and .links.download == \"/v1/jobs/$id/download\"" body >/dev/null &&
	jq -r .result.manifest_sha256 body >sha &&
	custos export "has:media" --format dat,jsonl,csv --bates ACME-P --start 101 --out cli >/dev/null &&
	test "$(api l GET "/v1/jobs/$id/download")" = 200 && mv body http.zip &&
	mkdir http && (cd http && unzip -q ../http.zip) && test "$(ls http)" = "$id" &&
	p=http/$id && test "$(sha256sum <"$p/manifest.json" | cut -c1-64)" = "$(cat sha)" &&
	jq -c .documents "$p/manifest.json" >docs.http && jq -c .documents cli/manifest.json >docs.cli &&
	test_cmp docs.cli docs.http && test "$(jq length docs.http)" = 18 &&
	jq -c "[.files[] | select(.path != \"production.log\")]" "$p/manifest.json" >files.http &&
	jq -c "[.files[] | select(.path != \"production.log\")]" cli/manifest.json >files.cli &&
	test_cmp files.cli files.http && grep -q "NATIVES/ACME-P000101" files.http && grep -q MEDIA/ files.http &&
	custos export --verify "$p" >v && grep -q "verified$" v &&
	archive_json "$p" recs.json &&
	$READ dat "$p" recs.json >r && grep -q "^dat: 20 rows, 18 records, ACME-P000101..ACME-P000120$" r &&
	$READ records "$p" recs.json >r && grep -q "^records: 18 JSONL lines, 18 CSV rows$" r &&
	serve_stop &&
	custos audit --json | jq -s -e --arg s "$(cat sha)" "map(select(.action == \"export\" and .token == \"l\" and .result.manifest_sha256 == \$s)) | length == 1" >/dev/null &&
	custos audit --json | jq -s -e --arg j "$id" "map(select(.action == \"production-download\" and .token == \"l\" and .params.job == \$j and .params.format == \"zip\")) | length == 1" >/dev/null &&
	test "$(stat -c %a archive/service/productions)" = 700 && test "$(stat -c %a "archive/service/productions/$id")" = 700
'
else
	test_skip 'a production made over HTTP is the one custos export makes of the same selection' 'no ../shared/fixtures'
fi

test_expect 'files one by one as listed, the whole as tar; no path outside the manifest, no link followed, no changed file served' '
	custos init >/dev/null && gen_posts 20 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal && serve_start --no-poll &&
	production l "{\"query\":\"#topic1 OR #topic2\",\"formats\":\"dat,html\"}" &&
	test "$(api l GET "/v1/jobs/$id/files")" = 200 && mv body list &&
	d=archive/service/productions/$id &&
	test "$(jq .count list)" = "$(jq ".files | length" "$d/manifest.json")" &&
	jq -r ".files[] | \"\(.href) \(.sha256)\"" list >hrefs && test "$(wc -l <hrefs)" -gt 5 &&
	while read -r href sha; do
		test "$(api l GET "$href")" = 200 && test "$(sha256sum <body | cut -c1-64)" = "$sha" ||
			{ echo "$href is not what the listing says"; exit 1; }
	done <hrefs &&
	curl -s -D hdr -o body -H "Authorization: Bearer $(cat tok.l)" "$URL/v1/jobs/$id/files/HTML/index.html" &&
	grep -qi "^Content-Type: application/octet-stream" hdr && grep -qi "^Content-Disposition: attachment; filename=\"index.html\"" hdr &&
	grep -qi "^Content-Security-Policy: sandbox" hdr &&
	test "$(api l GET "/v1/jobs/$id/files/manifest.json")" = 200 && cmp body "$d/manifest.json" &&
	test "$(api l GET "/v1/jobs/$id/download?format=tar")" = 200 && mkdir t && tar -xf body -C t &&
	custos export --verify "t/$id" >/dev/null &&
	for p in ../tokens ../../service/tokens NATIVES/../../tokens %2e%2e/%2e%2e/tokens NATIVES//CUSTOS000001.json ./manifest.json "NATIVES%5C..%5C..%5Ctokens"; do
		c=$(api l GET "/v1/jobs/$id/files/$p" --path-as-is) && test "$c" = 400 && grep -q "not a path a production holds" body ||
			{ echo "$p: HTTP $c"; cat body; exit 1; }
	done &&
	for p in NATIVES TEXT/nope.txt .custos-files.tmp tokens; do
		test "$(api l GET "/v1/jobs/$id/files/$p")" = 404 || { echo "$p: not 404"; cat body; exit 1; }
	done &&
	n=$(jq -r ".files[0].path" list) && ln -s ../../tokens link && mv link "$d/$n.new" && mv "$d/$n.new" "$d/$n" &&
	test "$(api l GET "/v1/jobs/$id/files/$n")" = 500 && grep -q "symbolic link" body &&
	! grep -q "cus_" body &&
	test "$(api l GET "/v1/jobs/$id/download?format=tar")" = 200 && ! tar -tf body 2>/dev/null | grep -q manifest.json &&
	rm "$d/$n" && cp "t/$id/$n" "$d/$n" && test "$(api l GET "/v1/jobs/$id/files/$n")" = 200 &&
	m=$(jq -r "[.files[] | select(.path | startswith(\"NATIVES/\"))][1].path" list) && printf x >>"$d/$m" &&
	test "$(api l GET "/v1/jobs/$id/files/$m")" = 500 && grep -q "changed after the production was made" body &&
	test "$(api l GET "/v1/jobs/$id/download")" = 200 && ! unzip -l body 2>/dev/null | grep -q manifest.json &&
	test "$(api l GET "/v1/jobs/$id/download?format=rar")" = 400 &&
	serve_stop &&
	custos audit --json | jq -s -e "map(select(.action == \"production-download\" and .status != \"ok\")) | length >= 8" >/dev/null &&
	! grep -q "%2e%2e" archive/audit/audit.log
'

test_expect 'a production belongs to the role that made it; ingest, compliance and admin are refused and audited' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	for r in ingest legal compliance auditor admin; do token "$r" "$r" || exit 1; done &&
	serve_start --no-poll &&
	production legal "{\"query\":\"post\",\"formats\":[\"jsonl\"]}" && lid=$id &&
	production auditor "{\"query\":\"#topic1\",\"formats\":[\"csv\"]}" && aid=$id &&
	for r in ingest compliance admin; do
		for req in "POST /v1/productions" "GET /v1/productions" "GET /v1/jobs/$lid" "GET /v1/jobs/$lid/files" \
		           "GET /v1/jobs/$lid/files/records.jsonl" "GET /v1/jobs/$lid/download" \
		           "DELETE /v1/jobs/$lid" "DELETE /v1/productions/$lid"; do
			c=$(api "$r" ${req% *} "${req#* }" -H "Content-Type: application/json" --data-binary "{\"query\":\"post\",\"formats\":\"dat\"}") &&
			test "$c" = 403 || { echo "$req as $r: HTTP $c"; cat body; exit 1; }
		done
	done &&
	for req in "GET /v1/jobs/$lid" "GET /v1/jobs/$lid/files" "GET /v1/jobs/$lid/files/records.jsonl" \
	           "GET /v1/jobs/$lid/download" "DELETE /v1/jobs/$lid" "DELETE /v1/productions/$lid"; do
		c=$(api auditor ${req% *} "${req#* }") && test "$c" = 403 &&
		grep -q "a production belongs to the role that made it" body || { echo "$req as auditor: HTTP $c"; cat body; exit 1; }
	done &&
	test "$(api legal GET "/v1/jobs/$aid/download")" = 403 &&
	test "$(api legal GET /v1/productions)" = 200 && test "$(jq -r "[.productions[].id] | join(\" \")" body)" = "$lid" &&
	test "$(api auditor GET /v1/productions)" = 200 && test "$(jq -r "[.productions[].id] | join(\" \")" body)" = "$aid" &&
	test "$(api auditor GET "/v1/jobs/$aid/files/records.csv")" = 200 &&
	serve_stop &&
	for r in ingest compliance admin; do
		n=$(custos audit --json | jq -s --arg t "$r" "map(select(.token == \$t and .status == \"not allowed for this role\")) | length") &&
		test "$n" -ge 8 || { echo "$r: $n audit entries of refusals"; custos audit --json | grep "\"token\":\"$r\""; exit 1; }
	done
'

test_expect 'deleting a production removes its files, is audited, and the job says when and by whom' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal && serve_start --no-poll &&
	production l "{\"query\":\"post\",\"formats\":\"dat\"}" && sha=$(jq -r .result.manifest_sha256 body) &&
	test -f "archive/service/productions/$id/manifest.json" &&
	test "$(api l DELETE "/v1/jobs/$id")" = 400 && grep -q "has finished: there is nothing to cancel" body &&
	test "$(api l DELETE "/v1/productions/$id")" = 200 && jq -e ".deleted" body >/dev/null &&
	test ! -e "archive/service/productions/$id" &&
	test "$(api l GET "/v1/jobs/$id")" = 200 && jq -e ".state == \"done\" and (.note | startswith(\"its files were deleted at \")) and (.note | endswith(\" by token l\"))" body >/dev/null &&
	test "$(api l GET "/v1/jobs/$id/files")" = 404 && grep -q "were deleted" body &&
	test "$(api l GET "/v1/jobs/$id/download")" = 404 &&
	test "$(api l DELETE "/v1/productions/$id")" = 404 &&
	serve_stop && serve_start --no-poll && test "$(api l GET "/v1/jobs/$id/files")" = 404 && serve_stop &&
	custos audit --json | jq -s -e --arg s "$sha" "map(select(.action == \"production-delete\" and .status == \"ok\" and .result.manifest_sha256 == \$s and .result.files == 22)) | length == 1" >/dev/null
'

serve_reap
test_done
