CLI_SRCS += $(wildcard cli/*.c)
# The faces see the library's one public header and the common code only:
# the parts' headers are internal to the library.
$(patsubst %,$(BUILD)/%.o,$(wildcard cli/*.c)): INCLUDES := -Icommon -Ilib
