# syntax=docker/dockerfile:1
#
# The latipay gateway's container image.
#
#   docker build -t latipay-gateway .
#   docker run -d -p 8080:8080 -v latipay-data:/app/data \
#     -e PUBLIC_URL=https://pay.example.com -e SECRET_KEY=$(openssl rand -hex 32) latipay-gateway
#
# Two stages: `build` installs every dependency, compiles src/ to dist/ and then drops the
# development dependencies; `runtime` copies the compiled gateway and the production
# node_modules onto a clean base and runs as the unprivileged `node` user. Both stages use
# the same base image, so better-sqlite3's native module is built for the libc it runs on.
# docs/operations.md has the settings, volumes and secrets. (This file was written on a
# machine without a Docker engine and has not been built there: see docs/operations.md.)

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 installs a prebuilt binary when one matches; otherwise it compiles with these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (the build) needs the sources, copied below;
# the native and binary packages then run their install scripts.
RUN npm ci --no-audit --no-fund --ignore-scripts \
 && npm rebuild better-sqlite3 esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY bin ./bin
COPY src ./src
RUN node scripts/build.mjs \
 && npm prune --omit=dev --no-audit --no-fund --ignore-scripts

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
# The code belongs to root and is read-only to the gateway; only /app/data is its own.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY LICENSE README.md ./
RUN mkdir -p /app/data && chown node:node /app/data
USER node
# The SQLite database (DATABASE_URL's default, sqlite:./data/latipay.db) and, outside
# production, its generated secret.key. With PostgreSQL nothing is written here.
VOLUME ["/app/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "bin/latipay.mjs"]
CMD ["serve"]
