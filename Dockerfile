# sinkd container image: build with the full toolchain, run on a slim Node 22 LTS as non-root.
#   docker build -t sinkd .
#   docker run -p 53:53/udp -p 53:53/tcp sinkd
#   docker run --rm sinkd --help          # the entrypoint is the sinkd CLI: any command works
# Mount your own config at /app/config/sinkd.yaml and lists under /app/blocklists to change them.
# docker-compose.yml runs it with a Redis beside it.

# Runtime dependencies only, installed from the lock file (no dev tools reach the image).
FROM node:22-slim AS deps
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# The TypeScript build, with the dev dependencies.
FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# package.json is needed at run time: "type": "module" makes dist/*.js ES modules.
COPY package.json ./
COPY config ./config
COPY blocklists ./blocklists
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# The embedded blocklist store and hit file (store.path "" = $STATE_DIRECTORY): writable by the
# unprivileged user, and a volume so they outlive the container. With --redis they stay unused.
# A directory sinkd cannot write (a root-owned bind mount, another --user) stops it at start,
# naming the path, rather than serving no list.
RUN mkdir -p /app/data && chown node:node /app/data
ENV STATE_DIRECTORY=/app/data
VOLUME /app/data
# Docker lets unprivileged processes bind ports below 1024 inside the container
# (net.ipv4.ip_unprivileged_port_start=0), so port 53 needs no root.
USER node
EXPOSE 53/udp 53/tcp
# A DNS status query to the UDP listener, answered NOTIMP by sinkd's fast path: no upstream
# query, no report entry. Set SINKD_HEALTHCHECK_ADDR if you run it with another --listen.
ENV SINKD_HEALTHCHECK_ADDR=127.0.0.1:53
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/healthcheck.mjs"]
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--config", "/app/config/sinkd.yaml", "--listen", "0.0.0.0:53"]
