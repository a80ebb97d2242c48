# hutch CLI: build rules.
