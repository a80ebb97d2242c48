# hutchd: build rules.
