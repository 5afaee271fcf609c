# Sourced by the API tests' wrappers: runs a Python test with the generated
# client on its path and an interpreter that has Debian's python3-grpcio
# (a python3 earlier on PATH, e.g. pyenv's, may not).
set -euo pipefail

api_python() {
  local candidates=(python3)
  # Debian's own interpreter, wherever the package put it.
  while read -r p; do candidates+=("$p"); done < <(
    dpkg -L python3-minimal 2>/dev/null | grep '/bin/python3$' || true)
  for p in "${candidates[@]}"; do
    if "$p" -c 'import grpc, google.protobuf' 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "FAIL: no python3 with grpc and protobuf (./x setup installs python3-grpcio and python3-protobuf)" >&2
  return 1
}

run_api_test() {
  local script=$1
  shift
  local py
  py=$(api_python)
  local here
  here=$(dirname "$script")
  PYTHONPATH="$PWD/tests/api/py:$PWD/$here${PYTHONPATH:+:$PYTHONPATH}" \
    "$py" "$script" "$@"
}
