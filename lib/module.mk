# lib/export.c (productions) and lib/xsel.c (its selection's external
# sort) are in the export module; lib/poll.c (the
# connectors' poller, libcurl) and lib/production.c (a service production's
# files, streamed as zip or tar with libarchive: only the server calls it)
# in the serve module: Makefile, "Modules". lib/policy_load.c loads the
# policy module, in the binary alone (BIN_SRCS).
LIB_SRCS += $(filter-out lib/export.c lib/xsel.c lib/poll.c lib/production.c lib/policy_load.c,\
                         $(wildcard lib/*.c)) \
            $(wildcard lib/*.cc)
MOD_SRCS_export += lib/export.c lib/xsel.c
MOD_SRCS_serve += lib/poll.c lib/production.c
BIN_SRCS += lib/policy_load.c
