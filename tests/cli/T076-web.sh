#!/bin/sh
# plain-only: a real browser (Debian's Chromium through playwright-core) against custos serve, once
# The review page end to end (tests/cli/web_review.js): sign in, search,
# a thread, a hold, the schedule and a confirmed disposition, a term
# report, the audit trail, a chart's numbers against the API, and hostile
# record text that runs nothing. Screenshots of each step are kept in
# build/artifacts/T076/ (and listed in the output).
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

# playwright-core 1.61 is the last made for Node 18, Debian 12's (1.62
# needs Node 20); the cache is per version, so a change here installs anew
PW_VERSION=1.61
CACHE=${CUSTOS_NPM_CACHE:-${TMPDIR:-/tmp}/custos-npm-playwright-$PW_VERSION}
ART_KEEP="$TOP/build/artifacts/T076"
playwright() {
	[ -f "$CACHE/node_modules/playwright-core/package.json" ] && return 0
	mkdir -p "$CACHE" &&
	(cd "$CACHE" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --no-audit --no-fund --silent \
		"playwright-core@~$PW_VERSION" >npm.log 2>&1)
}
# Debian's Chromium; CUSTOS_CHROMIUM names another build of it (or a path
# that is not there, to see the test skip)
CHROMIUM=${CUSTOS_CHROMIUM:-/usr/bin/chromium}
chromium_here() {
	[ -x "$CHROMIUM" ] && return 0
	# the test setup may install Debian's Chromium (tools/deps.sh lists it)
	[ "$CHROMIUM" = /usr/bin/chromium ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1
	[ -x "$CHROMIUM" ]
}

setup() {
	custos init >/dev/null &&
	gen_posts 30 >posts.ndjson &&
	cat >>posts.ndjson <<'REC' &&
{"id":"x:900","platform":"x","account":"acme","author":{"handle":"carol"},"created_at":"2023-05-01T10:00:00Z","text":"Where is my order? #support","lang":"en"}
{"id":"x:901","platform":"x","account":"acme","author":{"handle":"acme"},"created_at":"2023-05-01T12:00:00Z","in_reply_to":"x:900","text":"Sorry Carol, it ships today","lang":"en"}
{"id":"x:902","platform":"x","account":"acme","author":{"handle":"carol"},"created_at":"2023-05-01T13:00:00Z","in_reply_to":"x:901","text":"<script>window.__pwned=1;alert(1)</script><img src=x onerror=\"window.__pwned=2\"> <a href=\"javascript:window.__pwned=3\">click</a> order","url":"javascript:window.__pwned=4","lang":"en"}
REC
	printf '%s\n' '{"id":"x:901","platform":"x","account":"acme","author":{"handle":"acme"},"created_at":"2023-05-01T12:00:00Z","edited_at":"2023-05-01T12:05:00Z","in_reply_to":"x:900","text":"Sorry Carol, it ships tomorrow","lang":"en"}' >edit.ndjson &&
	custos ingest posts.ndjson >/dev/null && custos ingest edit.ndjson >/dev/null &&
	if have_fixtures; then custos ingest --format x-archive "$FIXTURES/x-archive-milahu104" >/dev/null; fi &&
	printf 'rules:\n  - name: all\n    match: "*"\n    retain: 10y\n' >r.yaml &&
	custos policy set r.yaml -m "first schedule" >/dev/null &&
	printf 'rules:\n  - name: all\n    match: "*"\n    retain: 1y\n  - name: kept\n    match: "platform:x -#topic7"\n    retain: 10y\n' >r.yaml &&
	custos policy set r.yaml -m "#topic7 kept one year" >/dev/null &&
	custos source add web-feed --feed http://127.0.0.1:9/feed.xml --interval 300 >/dev/null &&
	token web-legal legal && token web-compliance compliance && token web-auditor auditor &&
	token web-admin admin
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	test_skip 'the review page in a browser' 'node and npm are missing (Debian packages nodejs, npm)'
elif ! chromium_here; then
	test_skip 'the review page in a browser' "no $CHROMIUM (Debian package chromium; tools/deps.sh installs it) and it cannot be installed here"
elif ! playwright; then
	test_skip 'the review page in a browser' \
		"npm could not install playwright-core (no registry?): $(tail -n 3 "$CACHE/npm.log" 2>/dev/null)"
else
	TEST_DIR="$t_root/web"
	mkdir -p "$TEST_DIR/shots" && cd "$TEST_DIR" && export CUSTOS_ARCHIVE="$TEST_DIR/archive"
	if setup >setup.log 2>&1 && serve_start --no-poll; then
		curl -s -o raw.902 -H "Authorization: Bearer $(cat tok.web-legal)" "$URL/v1/records/x:902/raw"
		# a post whose picture the export holds (data/tweets_media/<post id>-<key>.<ext>)
		media=
		have_fixtures && media=x:$(ls "$FIXTURES/x-archive-milahu104/data/tweets_media" | sed -n '1s/-.*//p')
		URL=$URL CHROMIUM=$CHROMIUM USER_NAME=$(id -un) ART="$TEST_DIR/shots" RAW_FILE="$TEST_DIR/raw.902" MEDIA_ID=$media \
		TOK_LEGAL=$(cat tok.web-legal) TOK_COMPLIANCE=$(cat tok.web-compliance) \
		TOK_AUDITOR=$(cat tok.web-auditor) TOK_ADMIN=$(cat tok.web-admin) \
		NODE_PATH="$CACHE/node_modules" timeout 240 node "$TOP/tests/cli/web_review.js" >steps.out 2>steps.err
		echo "exit $?" >>steps.err
		serve_stop >>steps.err 2>&1 || echo "not ok the server stopped cleanly" >>steps.out
	else
		cat setup.log serve.err 2>/dev/null | tail -n 20 | sed 's/^/    /'
		echo "not ok the archive and server for the page" >steps.out; : >steps.err
	fi
	cd "$TOP"
	rm -rf "$ART_KEEP" && mkdir -p "$ART_KEEP" && cp "$TEST_DIR"/shots/*.png "$ART_KEEP"/ 2>/dev/null
	grep -q '^ok \|^not ok \|^skip ' "$TEST_DIR/steps.out" ||
		{ echo "not ok the browser run gave no steps"; sed 's/^/    /' "$TEST_DIR/steps.err"; t_fail=$((t_fail + 1)); }
	while IFS= read -r line; do
		case "$line" in
			"ok "*) echo "$line"; t_pass=$((t_pass + 1)) ;;
			"not ok "*) echo "$line"; t_fail=$((t_fail + 1)) ;;
			"skip "*) echo "SKIP ${line#skip }"; t_skip=$((t_skip + 1)) ;;
		esac
	done <"$TEST_DIR/steps.out"
	[ "$t_fail" = 0 ] || sed 's/^/    /' "$TEST_DIR/steps.err" | tail -n 20
	for f in "$ART_KEEP"/*.png; do [ -f "$f" ] && echo "screenshot: ${f#"$TOP"/}"; done
	echo "ARTIFACT ${ART_KEEP#"$TOP"/}/: $(ls "$ART_KEEP" | grep -c '\.png$') screenshots, one a step (with CHECK_KEEP=1 also in $TEST_DIR/shots)"
fi
test_done
