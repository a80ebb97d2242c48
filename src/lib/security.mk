# libhutch: security sources (appended to libhutch_a_SOURCES).
