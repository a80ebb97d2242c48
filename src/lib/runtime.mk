# libhutch: runtime sources (appended to libhutch_a_SOURCES).
