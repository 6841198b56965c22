#!/bin/sh
# make demo: build a fresh archive from the bundled sample data in demo/ and
# walk through the main commands. The archive is left in ./demo-archive.
set -e
A=${DEMO_ARCHIVE:-demo-archive}
C="./custos --archive $A --actor demo"
step() { printf '\n\033[1m$ custos %s\033[0m\n' "$*"; $C "$@"; }
rm -rf "$A"
step init
step ingest demo/
step ingest demo/            # again: nothing new is added
step stats
step show x:1003
step show --versions x:1010
step verify
step audit
printf '\nThe archive is in %s; try: ./custos --archive %s show --json x:1001\n' "$A" "$A"
