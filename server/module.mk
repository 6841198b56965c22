# custos serve: the HTTP face, the serve module (serve.so: libmicrohttpd,
# GnuTLS), which cli/cmd_serve.c loads. Like cli/, it sees the library's
# one public header and the common code only.
MOD_SRCS_serve += $(wildcard server/*.c)
$(patsubst %,$(BUILD)/%.o,$(wildcard server/*.c)): INCLUDES := -Icommon -Ilib -Iserver
$(BUILD)/cli/cmd_serve.c.o: INCLUDES := -Icommon -Ilib -Iserver

# The review page (web/) is compiled by server/embed.sh into the serve
# module, with the server that serves it.
WEB_FILES := $(sort $(wildcard web/*.html web/*.js web/*.css web/*.svg))
MOD_SRCS_serve += web/assets.c
$(BUILD)/web/assets.c: $(WEB_FILES) server/embed.sh
	@mkdir -p $(dir $@)
	$(call quiet,EMBED,$@)sh server/embed.sh $(WEB_FILES) >$@.tmp && mv $@.tmp $@
$(BUILD)/web/assets.c.o: $(BUILD)/web/assets.c
	$(call quiet,CC,$<)$(CC) $(CFLAGS) -Icommon -Ilib -Iserver -c $< -o $@
