# libhutch: config sources (appended to libhutch_a_SOURCES).
