#!/bin/sh
echo "Bazel's coverage report generator is unavailable offline; use gcov data instead." >&2
exit 1
