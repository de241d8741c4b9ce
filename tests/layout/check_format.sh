#!/usr/bin/env bash
# The C++ sources are formatted as .clang-format says (Google style): any
# difference fails, with the files to run `make format` on.
set -uo pipefail
root="$1"
cd "$root" || exit 2
command -v clang-format >/dev/null || { echo "clang-format is not installed (tools/install_deps.sh installs it)"; exit 1; }
mapfile -t files < <(find base model server client tests -name '*.cc' -o -name '*.h' | sort)
bad=()
for file in "${files[@]}"; do
  clang-format --dry-run --Werror "$file" >/dev/null 2>&1 || bad+=("$file")
done
if ((${#bad[@]} > 0)); then
  echo "not clang-formatted (run 'make format'):"
  printf '  %s\n' "${bad[@]}"
  exit 1
fi
echo "format: ${#files[@]} files clang-formatted"
