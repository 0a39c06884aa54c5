#!/usr/bin/env bash
# Container test: builds the real image with podman, runs it the way a sidecar runs (read-only
# root filesystem, vault on a volume, non-root, host network), sends an event with the real
# posthog-node SDK to a recording upstream, and checks the upstream got it without PHI.
# Then stops the container (SIGTERM) and expects exit code 0.
#
#   test/container/run.sh            (as root; needs: apt-get install -y podman runc debootstrap)
#
# No registry is needed for the base image: if localhost/node-local:20 is missing it is built
# with debootstrap and this machine's node (test/container/build-base.sh). Environment:
#   PHI_CONTAINER_BASE=image       base for --build-arg NODE_IMAGE (default localhost/node-local:20)
#   PHI_CONTAINER_IMAGE=tag        tag of the built image (default localhost/phi-proxy:test)
#   PHI_CONTAINER_KEEP_IMAGE=0     remove the built image afterwards (default: keep, for layer caching)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HERE="$ROOT/test/container"
BASE_IMAGE="${PHI_CONTAINER_BASE:-localhost/node-local:20}"
IMAGE="${PHI_CONTAINER_IMAGE:-localhost/phi-proxy:test}"
P=(podman --runtime runc)                                   # crun fails on cgroups here; runc works
U=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)      # podman's defaults are refused here
NAME="phi-proxy-ctest-$$"
VOLUME="phi-proxy-ctest-vault-$$"
WORK="$(mktemp -d /tmp/phi-proxy-ctest.XXXXXX)"
UPSTREAM_PID=""
STARTED=$SECONDS

step() { printf '[container test +%3ds] %s\n' "$((SECONDS - STARTED))" "$*"; }
fail() {
  printf 'container test: FAIL: %s\n' "$*" >&2
  if "${P[@]}" container exists "$NAME" 2>/dev/null; then
    echo '--- container logs (last 30 lines) ---' >&2
    "${P[@]}" logs "$NAME" 2>&1 | tail -n 30 >&2 || true
  fi
  exit 1
}
cleanup() {
  local rc=$?
  "${P[@]}" rm -f -t 2 "$NAME" >/dev/null 2>&1 || true
  "${P[@]}" volume rm -f "$VOLUME" >/dev/null 2>&1 || true
  if [ -n "$UPSTREAM_PID" ]; then kill "$UPSTREAM_PID" 2>/dev/null || true; wait "$UPSTREAM_PID" 2>/dev/null || true; fi
  if [ "${PHI_CONTAINER_KEEP_IMAGE:-1}" = 0 ]; then "${P[@]}" rmi -f "$IMAGE" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
  if [ "$rc" = 0 ]; then step "PASS"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for tool in podman runc node; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y podman runc debootstrap)"
done
[ "$(id -u)" = 0 ] || fail "run as root (podman here runs rootful with runc)"
node -e "require.resolve('posthog-node')" 2>/dev/null || fail "posthog-node is not installed (npm ci in $ROOT)"

# 1. Base image ---------------------------------------------------------------------------------
if ! "${P[@]}" image exists "$BASE_IMAGE"; then
  step "building the local base image $BASE_IMAGE (debootstrap, about a minute)"
  "$HERE/build-base.sh" "$BASE_IMAGE" || fail "could not build the base image"
fi

# 2. Build context: a snapshot of the working tree (others may edit it while we build) ----------
step "staging the build context"
mkdir -p "$WORK/context"
tar -C "$ROOT" --exclude=./node_modules --exclude=./.git --exclude=./dist --exclude=./coverage \
  --exclude=./.phi-proxy -cf - . | tar -C "$WORK/context" -xf -

# npm inside the build uses this machine's registry and CA (an intercepting proxy's CA, say),
# given through a global npmrc mounted only while RUN steps execute: nothing of it lands in the image.
BUILD_MOUNT=()
cafile="$(cd "$ROOT" && npm config get cafile 2>/dev/null || true)"
registry="$(cd "$ROOT" && npm config get registry 2>/dev/null || true)"
mkdir -p "$WORK/npm-etc"
: >"$WORK/npm-etc/npmrc"
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -f "$cafile" ]; then
  cp "$cafile" "$WORK/npm-etc/host-ca.crt"
  echo "cafile=/usr/local/etc/host-ca.crt" >>"$WORK/npm-etc/npmrc"
fi
if [ -n "$registry" ] && [ "$registry" != "https://registry.npmjs.org/" ]; then echo "registry=$registry" >>"$WORK/npm-etc/npmrc"; fi
if [ -s "$WORK/npm-etc/npmrc" ]; then BUILD_MOUNT=(--volume "$WORK/npm-etc:/usr/local/etc:ro"); fi

# 3. Image ----------------------------------------------------------------------------------------
step "building $IMAGE from $BASE_IMAGE (first build about 3 minutes: re2 compiles; cached afterwards)"
# --format docker: the OCI image format has no HEALTHCHECK.
if ! "${P[@]}" build --network host "${U[@]}" --format docker "${BUILD_MOUNT[@]}" \
  --build-arg NODE_IMAGE="$BASE_IMAGE" -t "$IMAGE" "$WORK/context" >"$WORK/build.log" 2>&1; then
  tail -n 40 "$WORK/build.log" >&2
  fail "podman build failed (log above)"
fi
user="$("${P[@]}" image inspect --format '{{.Config.User}}' "$IMAGE")"
[ "$user" = "10001:10001" ] || fail "image USER is '$user', expected 10001:10001"
"${P[@]}" image inspect --format '{{json .Config.Healthcheck}}' "$IMAGE" | grep -q healthcheck.js || fail "image has no HEALTHCHECK"
step "image ok: $("${P[@]}" image inspect --format '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'), USER $user, HEALTHCHECK set"

# 4. Recording upstream and a free port -----------------------------------------------------------
node "$HERE/upstream.js" "$WORK/upstream.jsonl" >"$WORK/upstream.port" 2>"$WORK/upstream.err" &
UPSTREAM_PID=$!
for _ in $(seq 50); do [ -s "$WORK/upstream.port" ] && break; sleep 0.1; done
UPSTREAM_PORT="$(head -n 1 "$WORK/upstream.port")"
[ -n "$UPSTREAM_PORT" ] || fail "the recording upstream did not start: $(cat "$WORK/upstream.err")"
PORT="$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"

# 5. Run: read-only root, no tmpfs anywhere (--read-only-tmpfs=false), vault on a volume ---------
"${P[@]}" volume create "$VOLUME" >/dev/null
step "starting the container on 127.0.0.1:$PORT (upstream 127.0.0.1:$UPSTREAM_PORT)"
# --health-interval=disable: no systemd timer here; the check is run by hand below.
"${P[@]}" run -d --name "$NAME" --network host "${U[@]}" \
  --read-only --read-only-tmpfs=false \
  --volume "$VOLUME:/var/lib/phi-proxy" \
  --health-interval=disable \
  -e PHI_PROXY_UPSTREAM="http://127.0.0.1:$UPSTREAM_PORT" -e PHI_PROXY_PORT="$PORT" \
  "$IMAGE" >"$WORK/run.out" 2>"$WORK/run.err" || fail "podman run failed: $(grep -v systemd "$WORK/run.err")"

healthz() { node -e "require('http').get('http://127.0.0.1:$PORT/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))"; }
ready=0
for _ in $(seq 100); do
  if healthz; then ready=1; break; fi
  [ "$("${P[@]}" inspect --format '{{.State.Running}}' "$NAME")" = true ] || fail "the container exited before /healthz answered"
  sleep 0.2
done
[ "$ready" = 1 ] || fail "/healthz did not answer 200 within 20 s"
step "/healthz 200"

# 6. An event through the proxy with posthog-node --------------------------------------------------
node "$HERE/send-event.js" "http://127.0.0.1:$PORT" "$WORK/upstream.jsonl" >"$WORK/send.out" || fail "the event check failed (above)"
head -n 1 "$WORK/send.out"
planted="$(tail -n 1 "$WORK/send.out")"
EMAIL="$(node -e "console.log(JSON.parse(process.argv[1]).email)" "$planted")"
DISTINCT_ID="$(node -e "console.log(JSON.parse(process.argv[1]).distinctId)" "$planted")"

# 7. Non-root, HEALTHCHECK, read-only root, vault on the volume, no PHI in logs --------------------
uid="$("${P[@]}" exec "$NAME" id -u)"
[ "$uid" != 0 ] || fail "the proxy runs as root"
step "runs as uid $uid"
"${P[@]}" healthcheck run "$NAME" >/dev/null 2>&1 || fail "podman healthcheck run: unhealthy"
health="$("${P[@]}" inspect --format '{{.State.Healthcheck.Status}}' "$NAME" 2>/dev/null || true)"
[ -z "$health" ] || [ "$health" = healthy ] || fail "HEALTHCHECK status is '$health'"
step "HEALTHCHECK: ${health:-passed}"
for path in /app/probe /etc/phi-proxy/probe /tmp/probe /home/probe; do
  if "${P[@]}" exec "$NAME" sh -c "echo x > $path" 2>/dev/null; then fail "$path is writable: the root filesystem is not read-only"; fi
done
mountpoint="$("${P[@]}" volume inspect --format '{{.Mountpoint}}' "$VOLUME")"
[ -f "$mountpoint/vault.jsonl" ] || fail "no vault.jsonl on the volume (found: $(ls -A "$mountpoint"))"
vault_mode="$(stat -c '%a %u' "$mountpoint/vault.jsonl")"
[ "$vault_mode" = "600 10001" ] || fail "vault.jsonl has mode/owner '$vault_mode', expected '600 10001'"
step "read-only root; vault on the volume (mode 0600, uid 10001, $(wc -l <"$mountpoint/vault.jsonl") entries)"
"${P[@]}" logs "$NAME" >"$WORK/container.log" 2>&1
if grep -qF -e "$EMAIL" -e "$DISTINCT_ID" "$WORK/container.log"; then fail "an identifier appears in the container logs"; fi
if grep -qiE 'EROFS|read-only file system|EACCES' "$WORK/container.log"; then fail "the proxy tried to write outside the volume: $(grep -iE 'EROFS|read-only|EACCES' "$WORK/container.log" | head -n 3)"; fi

# 8. Graceful stop ----------------------------------------------------------------------------------
step "podman stop (SIGTERM)"
"${P[@]}" stop -t 15 "$NAME" >/dev/null 2>&1 || fail "podman stop failed"
code="$("${P[@]}" inspect --format '{{.State.ExitCode}}' "$NAME")"
[ "$code" = 0 ] || fail "exit code after SIGTERM is $code, expected 0"
"${P[@]}" logs "$NAME" >"$WORK/container.log" 2>&1
if grep -qF -e "$EMAIL" -e "$DISTINCT_ID" "$WORK/container.log"; then fail "an identifier appears in the container logs"; fi
step "stopped with exit code 0"
