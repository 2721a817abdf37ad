#!/usr/bin/env bash
# The build enforces the component graph: an include that runs the wrong way does not compile.
# Builds two probe targets (tests/CMakeLists.txt): dag including a store header must compile;
# store including a dag header must fail, with the compiler naming the header it cannot find.
set -uo pipefail
build=${1:?usage: wrong_include_test.sh BUILD_DIR}

if ! out=$(cmake --build "$build" --target layering_probe_right 2>&1); then
  echo "FAIL: dag including store/store.h did not compile; the probe setup is broken:"
  echo "$out" | tail -20
  exit 1
fi
if out=$(cmake --build "$build" --target layering_probe_wrong 2>&1); then
  echo "FAIL: store including dag/engine.h compiled; the include path lets a lower component"
  echo "reach a higher one (see cmake/components.cmake)"
  exit 1
fi
if ! grep -q 'dag/engine.h: No such file or directory' <<<"$out"; then
  echo "FAIL: the wrong-way probe failed, but not because dag/engine.h was out of reach:"
  echo "$out" | tail -20
  exit 1
fi
echo "ok: dag -> store compiles; store -> dag is refused by the compiler:"
grep -m1 'dag/engine.h' <<<"$out"
