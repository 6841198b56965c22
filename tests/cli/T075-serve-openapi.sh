#!/bin/sh
# docs/openapi.yaml: accepted by a standard validator (@apidevtools/swagger-parser,
# installed from the npm registry into a cache here, never at build time), and
# naming every route the server has.
. tests/cli/lib.sh

CACHE=${CUSTOS_NPM_CACHE:-${TMPDIR:-/tmp}/custos-npm-validator}
validator() {
	[ -f "$CACHE/node_modules/@apidevtools/swagger-parser/package.json" ] && return 0
	mkdir -p "$CACHE" &&
	(cd "$CACHE" && npm install --no-audit --no-fund --silent @apidevtools/swagger-parser@10 >npm.log 2>&1)
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
	test_skip 'docs/openapi.yaml is a valid OpenAPI 3 document' \
		'node and npm are missing (Debian packages nodejs, npm): the validator cannot be installed'
elif ! validator; then
	test_skip 'docs/openapi.yaml is a valid OpenAPI 3 document' \
		"npm could not install @apidevtools/swagger-parser (no registry?): $(tail -n 3 "$CACHE/npm.log" 2>/dev/null)"
else
test_expect 'docs/openapi.yaml is a valid OpenAPI 3 document' '
	NODE_PATH="$CACHE/node_modules" node -e "
		require(\"@apidevtools/swagger-parser\").validate(process.argv[1])
		  .then(api => console.log(\"valid:\", api.info.title, Object.keys(api.paths).length, \"paths\"))
		  .catch(e => { console.error(e.message); process.exit(1); });" "$TOP/docs/openapi.yaml"
'
fi

test_expect 'every route of the server is in docs/openapi.yaml and docs/api.md' '
	sed -n "s/^	{ \"\([A-Z]*\)\", \"\([^\"]*\)\".*/\1 \2/p" "$TOP/server/routes.c" >routes &&
	test "$(wc -l <routes)" -gt 20 &&
	while read -r method path; do
		grep -q "^  $path:\$" "$TOP/docs/openapi.yaml" || { echo "$path is not in openapi.yaml"; exit 1; }
		m=$(echo "$method" | tr A-Z a-z)
		sed -n "/^  $(echo "$path" | sed "s|/|\\\\/|g"):\$/,/^  \//p" "$TOP/docs/openapi.yaml" | grep -q "^    $m:" ||
			{ echo "$method $path is not in openapi.yaml"; exit 1; }
		grep -q "$(echo "$path" | sed "s/{[a-z]*}/{/; s/{.*//")" "$TOP/docs/api.md" || { echo "$path is not in api.md"; exit 1; }
	done <routes
'

test_done
