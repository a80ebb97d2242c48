# libhutch: rootfs sources (appended to libhutch_a_SOURCES).
