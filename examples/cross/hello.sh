#!/bin/sh
# A stand-in for a compiled binary: prints its version and platform.
echo "hello @VERSION@ (@PLATFORM@)"
