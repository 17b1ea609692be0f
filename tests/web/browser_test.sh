#!/usr/bin/env bash
# Starts `mogo serve` on a free port, runs the viewer's browser check against it (Debian's chromium
# via puppeteer-core), then stops the server with SIGTERM and checks that it exits cleanly.
set -euo pipefail
mogo=$1 src=$2 shot=${3:-}
log=$(mktemp)
"$mogo" --threads 1 serve --port 0 > "$log" 2>&1 &
server=$!
trap 'kill -9 $server 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 1200); do  # up to 120 s: the server calibrates prompt alignment at start (~4 s quiet, far more beside ctest -j2)
  url=$(grep -o 'http://[0-9.]*:[0-9]*/' "$log" || true)
  [ -n "$url" ] && break
  kill -0 $server 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "server did not start within 120 s"; cat "$log"; exit 1; }
node "$src/web/tools/browser_check.mjs" "$url" $shot
# A character of the user's: a skinned GLB (mogo's own box figure), dropped into the viewer.
character=$(mktemp --suffix=.glb)
trap 'kill -9 $server 2>/dev/null || true; rm -f "$log" "$character"' EXIT
"$mogo" --threads 1 generate "a person walks forward" --seconds 1 -o "$character" > /dev/null
node "$src/web/tools/rig_check.mjs" "$url" "$character"
kill -TERM $server
wait $server
grep -q "mogo serve: stopped" "$log" || { echo "no clean shutdown"; cat "$log"; exit 1; }
echo "browser check ok; server stopped cleanly"
