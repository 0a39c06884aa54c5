# phi-proxy container image.
#
#   docker build -t phi-proxy .
#   docker run --rm -p 8080:8080 --read-only -v phi-vault:/var/lib/phi-proxy \
#     -e PHI_PROXY_UPSTREAM=https://us.i.posthog.com phi-proxy
#
# Paths in the image:
#   /etc/phi-proxy/config.yaml   default config (PHI_PROXY_CONFIG); mount yours over it, read-only
#   /etc/phi-proxy/rules/        rule packs the default config names; mountable, read-only
#   /var/lib/phi-proxy/          the token vault (PHI at rest): the only path written (VOLUME)
# Runs as UID/GID 10001 and works with a read-only root filesystem.
#
# NODE_IMAGE: any Debian-based Node >= 20 image with headers in /usr/local/include/node
# (the official node images); a current LTS by default.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# re2 compiles from source when its prebuilt binary cannot be downloaded: g++, make, python3,
# and node-gyp takes the image's own node headers instead of downloading them.
ENV npm_config_nodedir=/usr/local
RUN apt-get update \
 && apt-get install -y --no-install-recommends g++ make python3 \
 && rm -rf /var/lib/apt/lists/*
# Dependencies first (cached until package*.json change): install without lifecycle scripts,
# then run the dependencies' own (re2's build); the project's `prepare` (tsc) runs below.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts && npm rebuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/re2/build/Release/obj.target node_modules/re2/build/Release/.deps node_modules/re2/vendor \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
LABEL org.opencontainers.image.title="phi-proxy" \
      org.opencontainers.image.description="Reverse proxy that removes HIPAA Safe Harbor identifiers from analytics events" \
      org.opencontainers.image.licenses="Apache-2.0"
# A fixed numeric UID (so Kubernetes runAsNonRoot can verify it). useradd where it exists,
# else plain /etc/passwd lines. npm, npx, corepack and yarn are not needed at run time.
RUN set -eu; \
    if command -v useradd >/dev/null 2>&1; then \
      groupadd --gid 10001 phi-proxy; \
      useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin phi-proxy; \
    else \
      echo 'phi-proxy:x:10001:' >> /etc/group; \
      echo 'phi-proxy:x:10001:10001:phi-proxy:/nonexistent:/usr/sbin/nologin' >> /etc/passwd; \
    fi; \
    rm -rf /usr/local/lib/node_modules /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
           /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* /usr/local/include/node; \
    mkdir -p /etc/phi-proxy /var/lib/phi-proxy; \
    chown 10001:10001 /var/lib/phi-proxy; \
    chmod 0700 /var/lib/phi-proxy
WORKDIR /app
# One worker per container: Node 20 counts the host's cores, not the container's CPU limit, and
# containers scale by replicas. Set PHI_PROXY_WORKERS to use more processes in one container.
ENV NODE_ENV=production \
    PHI_PROXY_CONFIG=/etc/phi-proxy/config.yaml \
    PHI_PROXY_WORKERS=1
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY rules ./rules
COPY docker/healthcheck.js ./docker/healthcheck.js
COPY docker/config.yaml /etc/phi-proxy/config.yaml
COPY rules /etc/phi-proxy/rules
USER 10001:10001
VOLUME ["/var/lib/phi-proxy"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "/app/docker/healthcheck.js"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "/app/bin/phi-proxy.js"]
CMD ["serve"]
