"""The test suite, mirroring the packages."""
