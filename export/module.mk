# Productions (docs/productions.md): the load-file writers, PDF images with
# cairo and pango, and the re-reading of a production.
LIB_SRCS += $(wildcard export/*.c)
PKG_CFLAGS += $(shell pkg-config --cflags cairo pangocairo fontconfig 2>/dev/null)
PKG_LIBS   += $(shell pkg-config --libs cairo pangocairo fontconfig 2>/dev/null)
