#!/bin/sh
# One command per role, for the image (deploy/Dockerfile) and for a checkout (run from its root):
#
#   deploy/entrypoint.sh web        gunicorn serving the panel and POST /api/event (WEB_CONCURRENCY workers)
#   deploy/entrypoint.sh flusher    moves events from the Redis stream into ClickHouse (run 1 or more)
#   deploy/entrypoint.sh worker     a Celery worker: reports, alerts, retention, closed days, exports
#   deploy/entrypoint.sh beat       Celery beat, the schedule: exactly one per installation
#   deploy/entrypoint.sh migrate    Django then ClickHouse migrations (under the migration lock), then exits
#   deploy/entrypoint.sh manage ARGS...      a Django management command (createsite, createapikey, ...)
#   deploy/entrypoint.sh deadletter ARGS...  list or replay records the event store refused (flusher's data)
#
# Everything else comes from the environment (README, "Deployment"). Files are created private (umask 077).
set -eu
umask 077
cd "$(dirname "$0")/.."
python=${PYTHON:-python}
role=${1:-}
[ $# -gt 0 ] && shift

needs_redis() {
    if [ -z "${REDIS_URL:-}" ]; then
        echo "entrypoint: the $role role needs REDIS_URL (server mode)" >&2
        exit 64
    fi
}

case "$role" in
web)
    exec "$python" -m gunicorn -c deploy/gunicorn.conf.py panel.wsgi:application "$@"
    ;;
flusher)
    needs_redis
    exec "$python" -m ingest.flusher "$@"
    ;;
worker)
    needs_redis
    exec "$python" -m celery -A panel.celery worker --loglevel "${LOG_LEVEL:-INFO}" \
        --concurrency "${CELERY_CONCURRENCY:-2}" "$@"
    ;;
beat)
    needs_redis
    exec "$python" -m celery -A panel.celery beat --loglevel "${LOG_LEVEL:-INFO}" \
        --schedule "${LANTERN_DATA_DIR:-/data}/celerybeat-schedule" "$@"
    ;;
migrate)
    "$python" -m panel.manage migrate --no-input
    exec "$python" -m clickhouse.migrate "$@"
    ;;
manage)
    exec "$python" -m panel.manage "$@"
    ;;
deadletter)
    exec "$python" -m ingest.deadletter "$@"
    ;;
*)
    echo "usage: entrypoint.sh web|flusher|worker|beat|migrate|manage|deadletter [ARGS...]" >&2
    exit 64
    ;;
esac
