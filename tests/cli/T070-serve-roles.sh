#!/bin/sh
# custos serve: every endpoint for every role, allowed and refused (the table
# of docs/api.md), each request in the audit chain with its token and client.
. tests/cli/lib.sh
. tests/cli/gen.sh
. tests/cli/serve.sh

ROLES="ingest legal compliance auditor admin"

# METHOD PATH BODY(- | records | upload | JSON) ALLOWED-ROLES SUCCESS-STATUS
# (ROLE in PATH or BODY is the role asking, so each writes its own names)
cat >"$t_root/table" <<'TABLE'
GET /healthz - public 200
GET / - public 200
GET /web/app.js - public 200
GET /v1/session - ingest,legal,compliance,auditor,admin 200
POST /v1/records records ingest 200
POST /v1/imports upload ingest 202
GET /v1/search?q=post - legal,compliance,auditor 200
GET /v1/records/x:1 - legal,compliance,auditor 200
GET /v1/records/x:1/versions - legal,compliance,auditor 200
GET /v1/records/x:1/raw - legal,compliance,auditor 200
GET /v1/records/x:1/thread - legal,compliance,auditor 200
GET /v1/media/0000000000000000000000000000000000000000000000000000000000000000 - legal,compliance,auditor 404
GET /v1/custodians - legal,compliance,auditor,admin 200
GET /v1/activity - legal,compliance,auditor 200
POST /v1/reports/terms {"terms":["post"]} legal,compliance,auditor 200
GET /v1/stats - legal,compliance,auditor,admin 200
GET /v1/audit?action=init - auditor 200
POST /v1/verify - auditor 202
GET /v1/holds - legal,compliance,auditor 200
POST /v1/holds {"name":"h-ROLE","query":"post","reason":"test"} legal,compliance 201
GET /v1/holds/h-legal - legal,compliance,auditor 200
POST /v1/holds/h-ROLE/release {"reason":"done"} legal,compliance 200
POST /v1/productions {"query":"post","formats":"jsonl"} legal,auditor 202
GET /v1/productions - legal,auditor 200
GET /v1/matters - legal,auditor 200
POST /v1/matters {"name":"m-ROLE"} legal 201
GET /v1/matters/m-legal - legal,auditor 200
POST /v1/matters/m-legal/tag {"tag":"responsive","ids":["x:1"]} legal 200
POST /v1/matters/m-legal/searches {"name":"s-ROLE","query":"post"} legal 201
GET /v1/matters/m-legal/searches - legal,auditor 200
GET /v1/matters/m-legal/searches/s-legal - legal,auditor 200
GET /v1/matters/m-legal/records/x:1 - legal,auditor 200
GET /v1/search?q=post&matter=m-legal - legal,auditor 200
GET /v1/retention/plan - compliance,auditor 200
POST /v1/retention/apply {} compliance 202
GET /v1/policy - legal,compliance,auditor 200
GET /v1/policy/log - legal,compliance,auditor 200
GET /v1/policy/diff?a=HEAD~1&b=HEAD - legal,compliance,auditor 200
GET /v1/tokens - admin 200
POST /v1/tokens {"name":"t-ROLE","role":"legal"} admin 201
DELETE /v1/tokens/t-ROLE - admin 200
GET /v1/sources - compliance,auditor,admin 200
POST /v1/sources {"name":"s-ROLE","kind":"feed","url":"http://127.0.0.1:9/x"} admin 201
DELETE /v1/sources/s-ROLE - admin 200
GET /metrics - auditor,admin 200
TABLE

setup() {
	custos init >/dev/null &&
	gen_posts 20 >posts.ndjson && custos ingest posts.ndjson >/dev/null &&
	printf 'rules:\n  - name: all\n    match: "*"\n    retain: 1d\n' >r.yaml &&
	custos policy set r.yaml -m test >/dev/null &&
	for r in $ROLES; do token "tok-$r" "$r" || return 1; done &&
	gen_posts 3 1000 >new.ndjson && cp "$FIXTURES/slack-export-viewer-testarchive/testarchive.zip" up.zip
}

test_expect 'every endpoint answers every role as the table says, and audits it' '
	setup && serve_start --no-poll &&
	: >clients &&
	while read -r method path body allowed ok; do
		for role in $ROLES; do
			p=$(echo "$path" | sed "s/ROLE/$role/g"); b=$(echo "$body" | sed "s/ROLE/$role/g")
			case ",$allowed," in
				*,public,*) want=$ok; tok="" ;;
				*,$role,*) want=$ok; tok="tok-$role" ;;
				*) want=403; tok="tok-$role" ;;
			esac
			case "$b" in
				-) set -- ;;
				records) set -- -H "Content-Type: application/x-ndjson" --data-binary @new.ndjson ;;
				upload) set -- --data-binary @up.zip ;;
				*) set -- -H "Content-Type: application/json" --data-binary "$b" ;;
			esac
			if [ -n "$tok" ]; then
				got=$(curl -s -o body -w "%{http_code} %{local_port}" -X "$method" \
					-H "Authorization: Bearer $(cat "tok.$tok")" "$@" "$URL$p")
			else
				got=$(curl -s -o body -w "%{http_code} %{local_port}" -X "$method" "$@" "$URL$p")
			fi
			code=${got% *}
			[ "$code" = "$want" ] || { echo "$method $p as $role: HTTP $code, wanted $want"; cat body; exit 1; }
			[ -n "$tok" ] && echo "$tok ${got#* }" >>clients
		done
	done <"$t_root/table" &&
	serve_stop &&
	# each request with a token is in the chain with the token and its client port
	while read -r tok port; do
		grep -q "\"token\":\"$tok\",\"client\":\"127.0.0.1:$port\"" archive/audit/audit.log ||
			{ echo "no audit entry for $tok from port $port"; exit 1; }
	done <clients &&
	custos verify >/dev/null
'

test_expect 'no token, an unknown one and a revoked one are refused with 401, and audited' '
	custos init >/dev/null && token a auditor && token b auditor && serve_start --no-poll &&
	expect_status 401 "" GET /v1/stats &&
	grep -q "no token" body &&
	echo cus_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA >tok.fake &&
	expect_status 401 fake GET /v1/stats &&
	grep -q "unknown token" body &&
	expect_status 200 b GET /v1/stats &&
	custos token revoke b >/dev/null &&
	expect_status 401 b GET /v1/stats &&
	grep -q "token .b. was revoked" body &&
	expect_status 200 a GET /v1/stats &&
	serve_stop &&
	test "$(grep -c "\"action\":\"auth-refused\"" archive/audit/audit.log)" = 3 &&
	grep "\"action\":\"auth-refused\"" archive/audit/audit.log | grep -q "\"token\":\"b\"" &&
	! grep -q cus_AAAA archive/audit/audit.log
'

test_expect 'a token is shown once, last on stdout, and kept only as a hash' '
	custos init >/dev/null && custos token create conn --role ingest >out &&
	tail -n 1 out | grep -Eq "^cus_[A-Za-z0-9_-]{43}$" &&
	! grep -rq "$(tail -n 1 out)" archive/ &&
	test_exit 1 custos token create conn --role legal 2>err && grep -q "already" err &&
	test_exit 2 custos token create x --role operator 2>err &&
	custos token list --json >l && grep -q "\"name\": \"conn\", \"role\": \"ingest\"" l
'

serve_reap
test_done
