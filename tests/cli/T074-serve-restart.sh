#!/bin/sh
# plain-only: crash and load loops run once, in the plain pass (not under the sanitizers)
# Jobs (an uploaded export, a verification) and restarts: kill -9 under load
# loses no acknowledged record; a job cut short by kill -9 or SIGTERM is
# resumed by the next start and finishes.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

test_expect 'an uploaded export is imported as a job with progress; verify is a job' '
	custos init >/dev/null && token i ingest && token a auditor && serve_start --no-poll &&
	test "$(api i POST "/v1/imports?name=testarchive.zip" --data-binary "@$FIXTURES/slack-export-viewer-testarchive/testarchive.zip")" = 202 &&
	id=$(job_id) && job_wait i "$id" done &&
	grep -q "\"kind\":\"import\"" body && grep -q "\"result\":{\"added\":[1-9]" body &&
	grep -q "\"progress\":{\"done\":[1-9]" body && grep -q "\"token\":\"i\"" body &&
	test "$(api a GET "/v1/jobs/$id")" = 403 &&
	test "$(api a POST /v1/verify)" = 202 && v=$(job_id) && job_wait a "$v" done &&
	grep -q "\"verified\":true" body &&
	test "$(api i GET "/v1/jobs/$v")" = 403 &&
	test "$(api a GET /v1/jobs/j0-none)" = 404 &&
	test "$(api i POST "/v1/imports?name=x.ndjson&format=nope" --data-binary @/dev/null)" = 400 &&
	serve_stop && test -z "$(ls archive/service/uploads)"
'

test_expect 'kill -9 under load: every acknowledged record is there after a restart, verify clean' '
	custos init >/dev/null && token i ingest && serve_start --no-poll &&
	pids="" &&
	for k in 1 2 3 4; do
		( j=0; while [ $j -lt 200 ]; do
			j=$((j + 1)); gen_posts 50 $((k * 100000 + j * 50)) >p$k.ndjson
			c=$(curl -s -o /dev/null -w "%{http_code}" -H "Authorization: Bearer $(cat tok.i)" \
				-H "Content-Type: application/x-ndjson" --data-binary @p$k.ndjson "$URL/v1/records") || break
			[ "$c" = 200 ] && echo $((k * 100000 + j * 50)) >>acked$k
		  done ) &
		pids="$pids $!"
	done &&
	sleep 2 && serve_kill &&
	for p in $pids; do wait $p; done;
	cat acked* >acked && test -s acked &&
	token l legal && serve_start --no-poll &&
	python3 - "$URL" "$(cat tok.l)" acked <<-PY &&
		import http.client, sys, urllib.parse
		u = urllib.parse.urlparse(sys.argv[1])
		c = http.client.HTTPConnection(u.hostname, u.port)
		for first in open(sys.argv[3]):
		    for i in (int(first), int(first) + 49):
		        c.request("GET", "/v1/records/x:%d" % i, headers={"Authorization": "Bearer " + sys.argv[2]})
		        r = c.getresponse(); r.read()
		        if r.status != 200:
		            sys.exit("acknowledged record x:%d is missing (%d)" % (i, r.status))
	PY
	serve_stop && custos verify >/dev/null &&
	echo "$(wc -l <acked) acknowledged batches, all there"
'

test_expect 'an import cut short by kill -9 or SIGTERM is resumed by the next start' '
	custos init >/dev/null && token i ingest && gen_posts 100000 >big.ndjson &&
	serve_start --no-poll &&
	test "$(api i POST "/v1/imports?name=big.ndjson" --data-binary @big.ndjson)" = 202 && id=$(job_id) &&
	job_wait i "$id" running && serve_kill &&
	serve_start --no-poll && job_wait i "$id" done &&
	grep -q "\"runs\":2" body && grep -q "\"note\":\"resumed" body &&
	grep -q "\"action\":\"job-resume\"" archive/audit/audit.log &&
	serve_stop && custos stats --json | grep -q "\"records\": 100000," &&
	gen_posts 100000 200000 >big2.ndjson && serve_start --no-poll &&
	test "$(api i POST "/v1/imports?name=big2.ndjson" --data-binary @big2.ndjson)" = 202 && id=$(job_id) &&
	job_wait i "$id" running && serve_stop &&
	grep -q "\"state\":\"queued\".*\"note\":\"interrupted by a stop" "archive/service/jobs/$id.json" &&
	serve_start --no-poll && job_wait i "$id" done && grep -q "\"runs\":2" body && serve_stop &&
	custos stats --json | grep -q "\"records\": 200000," && custos verify >/dev/null
'

serve_reap
test_done
