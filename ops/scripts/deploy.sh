#!/usr/bin/env bash
# Deploys a release of the LMS on the VM (called by .github/workflows/deploy.yml over SSH, or by hand):
#   1. writes the stack's .env from the environment (secrets never touch the release archive);
#   2. pulls the new image; starts PostgreSQL and Redis;
#   3. applies pending migrations with the one-shot `migrate` service (a failure stops here, with the
#      running release untouched);
#   4. restarts the API replicas one at a time, each waiting to be healthy before the next, so that
#      Caddy always has a replica to send requests to; then the workers (they drain their jobs);
#   5. health gate: /api/v1/ready through Caddy, as clients reach it;
#   6. when a replica or the gate fails: rolls the API and the workers back to the previous image.
# Migrations are not reverted: each release's migrations must keep the previous release working
# (expand, deploy, then contract in a later release).
#
# Usage: deploy.sh RELEASE_DIR
# Environment: LMS_IMAGE, LMS_IMAGE_TAG (the image to deploy); APP_DOMAIN and the secrets listed in
# .github/workflows/deploy.yml (when SECRET_KEY is unset, the existing $LMS_HOME/shared/.env is kept);
# optional LMS_HOME (/opt/lms), COMPOSE_PROJECT (lms-prod), HEALTH_TIMEOUT_SECONDS (180).
set -euo pipefail

release_dir=$(cd "${1:?usage: deploy.sh RELEASE_DIR}" && pwd)
lms_home=${LMS_HOME:-/opt/lms}
project=${COMPOSE_PROJECT:-lms-prod}
health_timeout=${HEALTH_TIMEOUT_SECONDS:-180}
: "${LMS_IMAGE:?set LMS_IMAGE (e.g. ghcr.io/owner/lms-backend)}"
: "${LMS_IMAGE_TAG:?set LMS_IMAGE_TAG (the commit to deploy)}"
export LMS_IMAGE LMS_IMAGE_TAG

state_dir="$lms_home/shared"
env_file="$state_dir/.env"
current_tag_file="$state_dir/current-image-tag"
mkdir -p "$state_dir"

log() { printf '%s deploy: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"; }

# ── 1. .env (mode 600) ───────────────────────────────────────────────────────────────────────────
write_env() {
  local name
  (
    umask 077
    : >"$env_file.tmp"
    for name in APP_DOMAIN LETSENCRYPT_EMAIL POSTGRES_PASSWORD SECRET_KEY CERTIFICATE_SIGNING_KEY \
      SMTP_HOST SMTP_PORT SMTP_USERNAME SMTP_PASSWORD EMAIL_FROM SENTRY_DSN; do
      if [ -n "${!name:-}" ]; then
        # Single quotes: Compose takes the value literally (no $ interpolation), newlines included
        # (the PEM signing key).
        if [[ ${!name} == *"'"* ]]; then
          echo "deploy: $name contains a single quote, which .env cannot hold literally" >&2
          exit 1
        fi
        printf "%s='%s'\n" "$name" "${!name}" >>"$env_file.tmp"
      fi
    done
    mv "$env_file.tmp" "$env_file"
  )
}
if [ -n "${SECRET_KEY:-}" ]; then
  write_env
  log "wrote $env_file"
elif [ ! -f "$env_file" ]; then
  echo "deploy: no secrets in the environment and no $env_file" >&2
  exit 1
fi
ln -sfn "$env_file" "$release_dir/.env"
# Compose interpolates ${APP_DOMAIN}, ${POSTGRES_PASSWORD}, ... from this file too.
compose() { docker compose -p "$project" --env-file "$env_file" -f "$release_dir/docker-compose.prod.yml" "$@"; }

previous_tag=""
[ -f "$current_tag_file" ] && previous_tag=$(cat "$current_tag_file")
log "deploying $LMS_IMAGE:$LMS_IMAGE_TAG (previous: ${previous_tag:-none})"

# ── 2. image, network, data services ─────────────────────────────────────────────────────────────
docker network inspect lms-monitoring >/dev/null 2>&1 || docker network create lms-monitoring >/dev/null
compose pull --quiet migrate api-1 api-2 worker caddy postgres redis
compose up -d --wait postgres redis

# ── 3. migrations ────────────────────────────────────────────────────────────────────────────────
log "applying migrations"
if ! compose run --rm --no-deps migrate; then
  log "migrations failed: the running release is unchanged"
  exit 1
fi

container_health() {
  local id
  id=$(compose ps -q "$1" | head -n1)
  [ -n "$id" ] || {
    echo missing
    return
  }
  docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id"
}

# Waits until every container of the service is healthy; false after health_timeout seconds.
wait_healthy() {
  local service=$1 deadline=$((SECONDS + health_timeout)) id status all
  while [ "$SECONDS" -lt "$deadline" ]; do
    all=yes
    for id in $(compose ps -q "$service"); do
      status=$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id")
      [ "$status" = healthy ] || all=no
    done
    if [ "$all" = yes ] && [ -n "$(compose ps -q "$service")" ]; then return 0; fi
    sleep 3
  done
  log "$service is not healthy after ${health_timeout}s ($(container_health "$service"))"
  return 1
}

rollback() {
  if [ -z "$previous_tag" ]; then
    log "no previous image to roll back to"
    exit 1
  fi
  log "rolling back to $LMS_IMAGE:$previous_tag"
  export LMS_IMAGE_TAG=$previous_tag
  for service in api-1 api-2; do
    compose up -d --no-deps --force-recreate "$service"
    wait_healthy "$service" || log "$service is still unhealthy after the rollback"
  done
  compose up -d --no-deps --force-recreate worker
  log "rolled back to $previous_tag"
  exit 1
}

# ── 4. rolling restart ───────────────────────────────────────────────────────────────────────────
for service in api-1 api-2; do
  log "restarting $service"
  compose up -d --no-deps --force-recreate "$service"
  wait_healthy "$service" || rollback
done
log "restarting the workers"
compose up -d --no-deps --force-recreate worker
wait_healthy worker || rollback
compose up -d --no-deps caddy
wait_healthy caddy || rollback

# ── 5. health gate, through Caddy ────────────────────────────────────────────────────────────────
app_domain=$(sed -n "s/^APP_DOMAIN='\(.*\)'\$/\1/p" "$env_file")
deadline=$((SECONDS + health_timeout))
until curl -fsS --max-time 5 --resolve "${app_domain}:443:127.0.0.1" "https://${app_domain}/api/v1/ready" >/dev/null; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "health gate failed: https://${app_domain}/api/v1/ready"
    rollback
  fi
  sleep 5
done

printf '%s\n' "$LMS_IMAGE_TAG" >"$current_tag_file"
ln -sfn "$release_dir" "$lms_home/current"
docker image prune -f --filter "until=168h" >/dev/null || true
log "deployed $LMS_IMAGE:$LMS_IMAGE_TAG"
