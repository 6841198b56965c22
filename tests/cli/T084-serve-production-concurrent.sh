#!/bin/sh
# tsan: yes
# A production runs while others poll it, download a finished one whole and
# file by file, code records and capture more: every answer is whole, the
# running production is of one snapshot (all the records its index
# watermark holds, whenever the capture landed), and the job runner, the
# connection threads and the streams share nothing unguarded (this script
# also runs under ThreadSanitizer).
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

post() { api "$1" POST "$2" -H "Content-Type: application/json" --data-binary "$3"; }

# the clients that run beside the second production, each in the background
# (set -e stops the test at the first that cannot start)
downloads() {
	for k in 1 2 3; do curl -sf -H "$auth" -o "whole$k.zip" "$URL/v1/jobs/$1/download" || return 1; done
}
files() {
	curl -sf -H "$auth" "$URL/v1/jobs/$1/files" | jq -r ".files[].href" | head -n 60 >hrefs &&
	while read -r h; do curl -sf -H "$auth" -o /dev/null "$URL$h" || return 1; done <hrefs
}
coding() {
	for k in 1 2 3 4 5 6 7 8; do
		curl -sf -H "$auth" -H "Content-Type: application/json" -o /dev/null \
			--data-binary "{\"tag\":\"responsive\",\"query\":\"#topic$k\"}" "$URL/v1/matters/m/tag" || return 1
	done
}
capture() {
	gen_posts 50 5000 | curl -sf -H "Authorization: Bearer $(cat tok.i)" \
		-H "Content-Type: application/x-ndjson" --data-binary @- -o /dev/null "$URL/v1/records"
}
polls() {
	for k in $(seq 30); do curl -sf -H "$auth" -o /dev/null "$URL/v1/jobs/$1" || return 1; done
}

test_expect 'a production while downloads, polls, coding and capture run beside it' '
	custos init >/dev/null && gen_posts 150 >a.ndjson && custos ingest a.ndjson >/dev/null &&
	token l legal && token i ingest && serve_start --no-poll &&
	test "$(post l /v1/productions "{\"query\":\"post\",\"formats\":[\"dat\",\"jsonl\"]}")" = 202 && first=$(job_id) &&
	job_wait l "$first" done && test "$(post l /v1/matters "{\"name\":\"m\"}")" = 201 &&
	test "$(post l /v1/productions "{\"query\":\"post\",\"formats\":[\"dat\"],\"images\":true}")" = 202 && second=$(job_id)
	auth="Authorization: Bearer $(cat tok.l)"
	downloads "$first" & d1=$!
	files "$first" & d2=$!
	coding & d3=$!
	capture & d4=$!
	polls "$second" & d5=$!
	wait $d1 && wait $d2 && wait $d3 && wait $d4 && wait $d5 &&
	job_wait l "$second" done &&
	jq -e ".result.records == .progress.done" body >/dev/null &&
	for k in 1 2 3; do unzip -tq "whole$k.zip" >/dev/null && unzip -l "whole$k.zip" | grep -q "$first/manifest.json" || exit 1; done &&
	cmp whole1.zip whole3.zip &&
	test "$(api l GET "/v1/jobs/$second/files/manifest.json")" = 200 &&
	jq -e "(.records == 150 or .records == 200) and .records == .index_watermark" body >/dev/null &&
	serve_stop && custos matter show m --json | jq -e ".tags.responsive > 0" >/dev/null &&
	custos verify >/dev/null
'

serve_reap
test_done
