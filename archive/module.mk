LIB_SRCS += $(wildcard archive/*.c) $(wildcard archive/*.cc)
