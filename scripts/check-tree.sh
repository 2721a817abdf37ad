#!/usr/bin/env bash
# Checks on the tracked tree that need no build: no large file slips in unnoticed, and the C++
# sources are formatted by the one .clang-format. Run by .ci/run before the tests.
set -euo pipefail
cd "$(dirname "$0")/.."

# Files over 1 MiB bloat every clone forever. The few that must be tracked are named here.
allowed_large=()
limit=$((1024 * 1024))
status=0
while IFS= read -r -d '' f; do
  [ -f "$f" ] || continue
  size=$(stat -c %s "$f")
  if [ "$size" -gt "$limit" ]; then
    ok=0
    for a in "${allowed_large[@]}"; do [ "$a" = "$f" ] && ok=1; done
    if [ $ok -eq 0 ]; then
      echo "check-tree: $f is $size bytes, over the 1 MiB limit for tracked files;" \
           "keep it out of git (or add it to allowed_large in scripts/check-tree.sh with a reason)" >&2
      status=1
    fi
  fi
done < <(git ls-files -z)

# Formatting: clang-format's verdict, not a reviewer's.
mapfile -d '' sources < <(git ls-files -z -- 'src/*.cc' 'src/*.h' 'tests/*.cc' 'tests/*.h' \
  'kernels/*.cc' 'kernels/*.h' 'kernels/*.cu' 'kernels/*.cuh' 'launcher/*.cc' 'launcher/*.h' 'fuzz/*.cc')
if ! clang-format --dry-run -Werror "${sources[@]}" 2> /tmp/check-tree-format.$$; then
  head -40 /tmp/check-tree-format.$$ >&2
  echo "check-tree: $(grep -c 'error:' /tmp/check-tree-format.$$ || true) formatting differences;" \
       "run 'make fmt' and commit the result" >&2
  status=1
fi
rm -f /tmp/check-tree-format.$$
exit $status
