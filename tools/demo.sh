#!/bin/sh
# make demo: build a fresh archive from the bundled sample data (demo/ and
# the project's own sample exports in tests/data) and walk through the main
# commands. The archive is left in ./demo-archive.
set -e
A=${DEMO_ARCHIVE:-demo-archive}
C="./custos --archive $A --actor demo"
step() { printf '\n\033[1m$ custos %s\033[0m\n' "$*"; $C "$@"; }
rm -rf "$A"
step init
step ingest --skip-bad demo/posts.ndjson tests/data/import/x-archive tests/data/import/mastodon \
	tests/data/import-b/slack-mini tests/data/import-b/linkedin-export tests/data/import-b/feed-base.atom
step ingest demo/posts.ndjson        # again: nothing new is added
step quarantine list
step stats
step search '#AcmeRocket'
step search --sort -date --facets platform,year 'refund OR replacement OR broken'
step show --thread x:1003
step show --versions x:1010
printf 'AcmeRocket\n#AcmeRocket\nfrom:jdoe\nrefund OR broken\n' >"$A.terms"
step report terms "$A.terms"
step policy set demo/retention.yaml -m "Adopt the retention schedule RP-7"
step policy doc add demo/social-media-policy.md -m "Social-media policy"
step hold create order-4411 --query '#4411 OR from:jdoe' --reason 'Complaint about order 4411'
step hold list
step retention plan
step retention apply --yes
step show x:1006                 # disposed of: its tombstone remains
step search --count "#AcmeRocket"   # disposed records are no longer found
step policy log
step verify
step audit --since 2000-01-01
printf '\nThe archive is in %s; try: ./custos --archive %s show --json x:1001\n' "$A" "$A"
