#!/usr/bin/env bash
# Serves web/ on http://HOST:PORT/ (make serve; PORT=8000 and HOST=127.0.0.1 by default). A port that
# is already taken gets a plain message with another to try, not a traceback.
set -euo pipefail
cd "$(dirname "$0")/../web"
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
case $PORT in '' | *[!0-9]*) echo "cifake: PORT must be a number, not '$PORT'" >&2; exit 2 ;; esac
if (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null; then
  echo "cifake: port $PORT is in use; try make serve PORT=$((PORT + 1))" >&2
  exit 1
fi
echo "cifake: serving web/ on http://$HOST:$PORT/  (Ctrl-C to stop; PORT=... and HOST=... change it)"
exec python3 -m http.server "$PORT" --bind "$HOST"
