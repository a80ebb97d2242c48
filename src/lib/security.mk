# libhutch: security sources (appended to libhutch_a_SOURCES): the process's
# identity and security (rlimits, ids, capabilities, seccomp), its terminal,
# its hooks and its optional cgroup.
libhutch_a_SOURCES += \
	src/lib/caps.c src/lib/caps.h \
	src/lib/seccomp.c src/lib/seccomp-names.c src/lib/seccomp-notify.c src/lib/seccomp.h \
	src/lib/process-attrs.c src/lib/process-attrs.h \
	src/lib/terminal.c src/lib/terminal.h \
	src/lib/hooks.c src/lib/hooks.h \
	src/lib/cgroups.c src/lib/cgroups-resources.c src/lib/cgroups-v1.c \
	src/lib/cgroups-v2.c src/lib/cgroups.h
libhutch_a_CFLAGS += $(SECCOMP_CFLAGS) $(CAP_CFLAGS)

# Programs that link libhutch's runtime core add these to their LDADD.
HUTCH_RUNTIME_LIBS = $(SECCOMP_LIBS) $(CAP_LIBS)

include tests/tools/security.mk
