# Productions (docs/productions.md): the load-file writers, PDF images with
# cairo and pango, and the re-reading of a production. The export module
# (export.so, with lib/export.c): only `custos export` and `audit --export`
# load cairo, pango and fontconfig.
MOD_SRCS_export += $(wildcard export/*.c)
PKG_CFLAGS += $(shell pkg-config --cflags cairo pangocairo fontconfig 2>/dev/null)
MOD_LIBS_export += $(shell pkg-config --libs cairo pangocairo fontconfig 2>/dev/null)
