# custos serve: the HTTP face, the serve module (serve.so: libmicrohttpd,
# GnuTLS), which cli/cmd_serve.c loads. Like cli/, it sees the library's
# one public header and the common code only.
MOD_SRCS_serve += $(wildcard server/*.c)
$(patsubst %,$(BUILD)/%.o,$(wildcard server/*.c)): INCLUDES := -Icommon -Ilib -Iserver
$(BUILD)/cli/cmd_serve.c.o: INCLUDES := -Icommon -Ilib -Iserver
