# Test programs and unit tests of the security part of libhutch. The test
# harness puts the build's tests/tools on PATH for the bats suites.
