LIB_SRCS += $(wildcard common/*.c) $(wildcard common/*.cc)
