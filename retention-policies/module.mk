LIB_SRCS += $(wildcard retention-policies/*.c) $(wildcard retention-policies/*.cc)
