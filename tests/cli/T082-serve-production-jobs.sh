#!/bin/sh
# A production job's life: options refused before it is queued, a
# selection that holds nothing, cancelled queued or running (no manifest,
# nothing left), the server killed or stopped while it runs (the job is
# failed, never served, not run again), and a disk that fills (it fails
# with the reason, and frees what it took).
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

post() { api "$1" POST /v1/productions -H "Content-Type: application/json" --data-binary "$2"; }

test_expect 'bad options are refused before anything is queued; a selection of nothing fails with the reason' '
	custos init >/dev/null && gen_posts 10 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal && serve_start --no-poll &&
	while read -r want json; do
		c=$(post l "$json") && test "$c" = 400 && grep -q "$want" body || { echo "$json: HTTP $c"; cat body; exit 1; }
	done <<-EOF &&
	unknown.member.*with_threads {"query":"post","formats":"dat","with_threads":true}
	unknown.export.format.*pdf {"query":"post","formats":["dat","pdf"]}
	no.export.format.named {"query":"post"}
	Bates.prefix.*cannot.be.part.of.a.file.name {"query":"post","formats":"dat","prefix":"A/B"}
	bad.query {"query":"post AND (","formats":"dat"}
	exactly.one.selection {"formats":"dat"}
	exactly.one.selection {"query":"post","hold":"h","formats":"dat"}
	needs.a.matter {"query":"post","formats":"dat","fields":["BEGDOC","TAGS"]}
	start.*takes.a.number {"query":"post","formats":"dat","start":0}
	images.*takes.true.or.false {"query":"post","formats":"dat","images":"yes"}
	the.body.must.be.a.JSON.object ["post"]
	EOF
	test "$(api l GET /v1/productions)" = 200 && test "$(jq ".productions | length" body)" = 0 &&
	test "$(post l "{\"query\":\"nosuchwordanywhere\",\"formats\":\"dat\"}")" = 202 && id=$(job_id) &&
	job_wait l "$id" failed && grep -q "the query matches no record: nothing to produce" body &&
	test "$(post l "{\"hold\":\"nosuchhold\",\"formats\":\"dat\"}")" = 202 && h=$(job_id) &&
	job_wait l "$h" failed && grep -q "nosuchhold" body &&
	test -z "$(ls archive/service/productions)" &&
	serve_stop &&
	custos audit --json | jq -s -e "map(select(.action == \"job-submit\" and .params.kind == \"production\" and .status != \"ok\")) | length == 5" >/dev/null
'

# (the selection sorted in runs of 50 entries, so that the sort's files
# are there while it runs, and gone after)
test_expect 'cancelled queued or running: failed, no manifest, nothing left, audited' '
	custos init >/dev/null && gen_posts 600 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal && token a auditor && CUSTOS_TEST_SORT_BUDGET=50 serve_start --no-poll &&
	test "$(post l "{\"query\":\"post\",\"formats\":\"dat\",\"images\":true}")" = 202 && run=$(job_id) &&
	test "$(post l "{\"query\":\"#topic1\",\"formats\":\"dat\"}")" = 202 && queued=$(job_id) &&
	job_wait l "$run" running &&
	wait_for 30 sh -c "ls -A archive/service/productions | grep -q custos-sort" &&
	test "$(api a DELETE "/v1/jobs/$run")" = 403 &&
	test "$(api l DELETE "/v1/jobs/$queued")" = 200 && jq -e ".state == \"failed\"" body >/dev/null &&
	test "$(api l DELETE "/v1/jobs/$run")" = 202 && jq -e ".cancel == \"requested\"" body >/dev/null &&
	job_wait l "$run" failed &&
	jq -e "(.error | test(\"cancelled after [0-9]+ of 600 records\")) and (.note == \"cancelled by token l; what it had written was removed\") and .result == null" body >/dev/null &&
	test "$(api l GET "/v1/jobs/$queued")" = 200 &&
	jq -e ".state == \"failed\" and .error == \"cancelled before it ran\" and .started_at == null" body >/dev/null &&
	test ! -e "archive/service/productions/$run" && test ! -e "archive/service/productions/$queued" &&
	test -z "$(ls -A archive/service/productions)" &&
	test "$(api l GET "/v1/jobs/$run/files")" = 404 && grep -q "failed: it has no files" body &&
	test "$(api l GET "/v1/jobs/$run/download")" = 404 &&
	test "$(api l DELETE "/v1/jobs/$run")" = 400 &&
	test "$(api l POST /v1/imports)" = 403 &&
	serve_stop &&
	custos audit --json | jq -s -e --arg j "$run" "map(select(.action == \"export\" and (.params.dir | endswith(\$j)) and (.result.error | test(\"cancelled\")))) | length == 1" >/dev/null &&
	custos audit --json | jq -s -e "map(select(.action == \"job-cancel\" and .token == \"l\" and .status == \"ok\")) | length == 2" >/dev/null
'

test_expect 'killed before its manifest, or stopped while it runs: failed with the reason, its files removed, not run again' '
	custos init >/dev/null && gen_posts 600 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal &&
	CUSTOS_TEST_PAUSE_AT=production-before-manifest CUSTOS_TEST_PAUSE_FILE=$PWD/paused serve_start --no-poll &&
	test "$(post l "{\"query\":\"#topic1\",\"formats\":\"dat\"}")" = 202 && id=$(job_id) &&
	wait_for 60 test -e paused &&
	d=archive/service/productions/$id && test -d "$d/NATIVES" && test ! -e "$d/manifest.json" &&
	serve_kill && serve_start --no-poll &&
	test "$(api l GET "/v1/jobs/$id")" = 200 &&
	jq -e ".state == \"failed\" and .runs == 1 and (.error | startswith(\"the server stopped while the production ran: it has no manifest\"))" body >/dev/null &&
	test ! -e "$d" && test "$(api l GET "/v1/jobs/$id/files")" = 404 &&
	test "$(post l "{\"query\":\"post\",\"formats\":\"dat\",\"images\":true}")" = 202 && s=$(job_id) &&
	job_wait l "$s" running && serve_stop &&
	jq -e ".state == \"failed\" and (.error | startswith(\"the server stopped while\"))" "archive/service/jobs/$s.json" >/dev/null &&
	test ! -e "archive/service/productions/$s" &&
	serve_start --no-poll &&
	test "$(post l "{\"query\":\"#topic1\",\"formats\":\"dat\"}")" = 202 && again=$(job_id) &&
	job_wait l "$again" done && test "$(api l GET "/v1/jobs/$s")" = 200 && jq -e ".state == \"failed\" and .runs == 1" body >/dev/null &&
	serve_stop && test "$(ls archive/service/productions)" = "$again" &&
	custos audit --json | jq -s -e --arg j "$id" "map(select(.action == \"job-fail\" and .params.job == \$j)) | length == 1" >/dev/null &&
	custos verify >/dev/null
'

# disk_full: the checks of a production on a full disk (the caller mounts
# and unmounts the small file system)
disk_full() {
	serve_start --no-poll &&
	test "$(post l "{\"query\":\"post\",\"formats\":\"dat,jsonl\"}")" = 202 && id=$(job_id) &&
	job_wait l "$id" failed &&
	jq -e "(.error | test(\"No space left on device .the disk is full.: the production is incomplete and has no manifest\")) and .note == \"what it had written was removed\"" body >/dev/null &&
	test -z "$(ls archive/service/productions)" &&
	test "$(post l "{\"query\":\"#topic1\",\"formats\":\"jsonl\"}")" = 202 && small=$(job_id) &&
	job_wait l "$small" done && serve_stop
}
if mkdir -p "$t_root/probe" && mount -t tmpfs -o size=64k tmpfs "$t_root/probe" 2>/dev/null; then
	umount "$t_root/probe"
	test_expect 'a disk that fills: the job fails with the reason and gives the room back' '
		custos init >/dev/null && gen_posts 400 >a.ndjson && custos ingest a.ndjson >/dev/null &&
		token l legal && mkdir -p archive/service/productions &&
		mount -t tmpfs -o size=64k,mode=0700 tmpfs archive/service/productions &&
		rc=0 && { disk_full || rc=$?; } && serve_kill && umount -l archive/service/productions && exit $rc
	'
else
	test_skip 'a disk that fills: the job fails with the reason and gives the room back' \
		'this machine lets no test mount a small tmpfs (T080 checks the export on a full disk)'
fi

serve_reap
test_done
