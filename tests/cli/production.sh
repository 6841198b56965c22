# Helpers for the tests of productions (T080, T081).
#   archive_json DIR OUT   the archive's view of every record production DIR
#                          holds: `custos show --json` of each id in its
#                          manifest, one a line, into OUT
archive_json() {
	jq -r '.documents[].id' "$1/manifest.json" | while read -r id; do
		custos show --json "$id" || return 1
	done >"$2"
}
