# The policy repository, holds and the schedule's parser link libgit2 and
# libyaml: they are the policy module (Makefile, "Modules"). What the binary
# does with a schedule or a list it was given (schedule.c: durations, expiry,
# warnings; lists.c: freeing) stays in it, so a command that never opens the
# repository does not load the module.
MOD_SRCS_policy += $(filter-out retention-policies/schedule.c retention-policies/lists.c,\
                     $(wildcard retention-policies/*.c))
LIB_SRCS += retention-policies/schedule.c retention-policies/lists.c
