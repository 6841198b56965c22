# The store and the audit log are the library's; the importers
# (import*.c, with libarchive and libxml2) are the import module.
LIB_SRCS += $(filter-out archiver/import%,$(wildcard archiver/*.c)) $(wildcard archiver/*.cc)
MOD_SRCS_import += $(wildcard archiver/import*.c)
