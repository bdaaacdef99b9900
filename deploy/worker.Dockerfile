# syntax=docker/dockerfile:1
# Every worker's image, from this one file: APP names the worker (its Nx project, its bundle
# under dist/apps). The port is the worker's own default, from its descriptor in libs/read-models.
# Build from the repository root, e.g.:
#   docker build -f deploy/worker.Dockerfile --build-arg APP=user-cards-worker -t user-cards-worker .

FROM node:20-bookworm-slim AS build
ARG APP
RUN test -n "$APP" || { echo 'deploy/worker.Dockerfile: --build-arg APP=<worker> is required' >&2; exit 1; }
WORKDIR /repo
COPY package.json package-lock.json nx.json tsconfig.base.json ./
COPY apps/ apps/
COPY libs/ libs/
RUN npm ci --no-audit --no-fund --ignore-scripts
RUN NX_DAEMON=false npx nx build "$APP" --skip-nx-cache

FROM node:20-bookworm-slim AS runtime
ARG APP
# tini as PID 1 forwards SIGTERM to node and reaps children.
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
# The generated package.json and pruned lockfile list only what the bundle requires.
COPY --from=build /repo/dist/apps/${APP}/ ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
USER node
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "main.js"]
