# benchmark programs (see bench/README.md)
bench-build:
