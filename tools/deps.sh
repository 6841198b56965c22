#!/bin/sh
# Installs the Debian 12 packages custos needs to build and test, when run as
# root and something is missing; otherwise prints the exact apt-get line.
PKGS="build-essential pkg-config liblmdb-dev libzstd-dev libsodium-dev libssl-dev libjansson-dev
libgit2-dev libxapian-dev libyaml-dev libarchive-dev libxml2-dev libunistring-dev
libmicrohttpd-dev libgnutls28-dev libcurl4-gnutls-dev
git zstd jq unzip zip sqlite3 libsqlite3-dev clang libclang-rt-14-dev
lmdb-utils time util-linux
curl iproute2 python3 python3-yaml rsyslog prometheus wrk gnutls-bin
libcairo2-dev libpango1.0-dev fonts-dejavu-core fonts-noto-color-emoji
poppler-utils libxml2-utils python3-jsonschema chromium"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
# the OpenAPI check (tests/cli/T075) and the review page's browser test
# (T076, which drives Debian's chromium) install their npm packages: Debian's
# nodejs and npm, unless a node with its own npm is there already
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "custos: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null || {
		echo "custos: apt-get install failed for:$missing" >&2; exit 1; }
else
	echo "custos: missing packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
