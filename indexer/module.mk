LIB_SRCS += $(wildcard indexer/*.c) $(wildcard indexer/*.cc)
