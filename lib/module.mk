LIB_SRCS += $(wildcard lib/*.c) $(wildcard lib/*.cc)
