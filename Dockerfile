# sinkd container image: build with the full toolchain, run on a slim Node 22 LTS as non-root.
#   docker build -t sinkd .
#   docker run -p 53:53/udp -p 53:53/tcp sinkd
# Mount your own config at /app/config/sinkd.yaml and lists under /app/blocklists to change them.

FROM node:22-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY config ./config
COPY blocklists ./blocklists
# The embedded blocklist store and hit file (config store.path = ../data/...): writable by the
# unprivileged user, and a volume so they outlive the container. With --redis they stay unused.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME /app/data
# Docker lets unprivileged processes bind ports below 1024 inside the container
# (net.ipv4.ip_unprivileged_port_start=0), so port 53 needs no root.
USER node
EXPOSE 53/udp 53/tcp
ENTRYPOINT ["node", "/app/dist/cli/main.js"]
CMD ["serve", "--config", "/app/config/sinkd.yaml", "--listen", "0.0.0.0:53"]
