# hutchd: build rules.
include src/image/local.mk
