# custos serve: the HTTP face, linked into the custos binary. Like cli/, it
# sees the library's one public header and the common code only.
CLI_SRCS += $(wildcard server/*.c)
$(patsubst %,$(BUILD)/%.o,$(wildcard server/*.c)): INCLUDES := -Icommon -Ilib -Iserver
$(BUILD)/cli/cmd_serve.c.o: INCLUDES := -Icommon -Ilib -Iserver

# The review page (web/) is compiled into the binary by server/embed.sh.
WEB_FILES := $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg))
CLI_SRCS += web/assets.c
$(BUILD)/web/assets.c: $(WEB_FILES) server/embed.sh
	@mkdir -p $(dir $@)
	$(call quiet,EMBED,$@)sh server/embed.sh $(WEB_FILES) >$@.tmp && mv $@.tmp $@
$(BUILD)/web/assets.c.o: $(BUILD)/web/assets.c
	$(call quiet,CC,$<)$(CC) $(CFLAGS) -Icommon -Ilib -Iserver -c $< -o $@
