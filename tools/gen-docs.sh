#!/bin/sh
# Writes the manual pages and the shell completion scripts that the built
# custos generates from its command table (cli/doc.c) into DIR:
#   DIR/man1/custos.1, DIR/man1/custos-COMMAND.1, DIR/custos.bash, DIR/_custos
# usage: tools/gen-docs.sh CUSTOS DIR
set -e
bin=$1 dir=$2
mkdir -p "$dir/man1"
"$bin" --man custos >"$dir/man1/custos.1.tmp" && mv "$dir/man1/custos.1.tmp" "$dir/man1/custos.1"
for c in $("$bin" --commands); do
	"$bin" --man "$c" >"$dir/man1/custos-$c.1.tmp" && mv "$dir/man1/custos-$c.1.tmp" "$dir/man1/custos-$c.1"
done
"$bin" --completion bash >"$dir/custos.bash.tmp" && mv "$dir/custos.bash.tmp" "$dir/custos.bash"
"$bin" --completion zsh >"$dir/_custos.tmp" && mv "$dir/_custos.tmp" "$dir/_custos"
