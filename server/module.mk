# custos serve: the HTTP face, linked into the custos binary. Like cli/, it
# sees the library's one public header and the common code only.
CLI_SRCS += $(wildcard server/*.c)
$(patsubst %,$(BUILD)/%.o,$(wildcard server/*.c)): INCLUDES := -Icommon -Ilib -Iserver
$(BUILD)/cli/cmd_serve.c.o: INCLUDES := -Icommon -Ilib -Iserver
