LIB_SRCS += $(wildcard archiver/*.c) $(wildcard archiver/*.cc)
