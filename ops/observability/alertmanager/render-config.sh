#!/bin/sh
# Renders an Alertmanager config template: every ${NAME} becomes the value of the environment
# variable NAME (which must be set). Alertmanager does not expand variables itself, and sed would
# break on passwords holding its special characters, so awk reads the values from ENVIRON.
#   render-config.sh TEMPLATE OUTPUT
# The container entrypoint (docker-compose.observability.yml) renders to /tmp, then starts
# Alertmanager on the result; .ci/ops-check renders with sample values and runs amtool on it.
set -eu
if [ "$#" -ne 2 ]; then
  echo "usage: $0 TEMPLATE OUTPUT" >&2
  exit 2
fi
umask 077
awk '
  {
    line = $0
    out = ""
    while (match(line, /\$\{[A-Za-z_][A-Za-z0-9_]*\}/)) {
      name = substr(line, RSTART + 2, RLENGTH - 3)
      if (!(name in ENVIRON) || ENVIRON[name] == "") {
        printf "render-config: %s is not set\n", name > "/dev/stderr"
        failed = 1
      }
      out = out substr(line, 1, RSTART - 1) ENVIRON[name]
      line = substr(line, RSTART + RLENGTH)
    }
    print out line
  }
  END { exit failed }
' "$1" >"$2"
