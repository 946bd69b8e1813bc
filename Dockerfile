# syntax=docker/dockerfile:1
# The build context is what .dockerignore lets in: package files, tsconfig, bin, src, crds, web. The simulator
# (sim/, the workspace package @drover/sim), the tests and the scripts never enter it.

# Build stage: every dependency drover's compiler needs, then compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The lockfile names the simulator as a dev dependency linked from sim/; with sim/ absent that link dangles and
# nothing follows it (the `drover sim` command loads it by a name the compiler does not resolve).
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY src ./src
COPY crds ./crds
RUN npx tsc -p tsconfig.build.json

# Production dependencies only: a clean install without dev dependencies, so no workspace package either.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage: node, git (drover reads specs with the real git binary) and ssh for git over SSH.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
COPY --from=build /app/crds ./crds
COPY web ./web
COPY package.json ./
ENV NODE_ENV=production DROVER_LISTEN=0.0.0.0:8080 DROVER_WORK_DIR=/var/lib/drover
RUN useradd --system --uid 10001 --home-dir /var/lib/drover --create-home drover
USER 10001
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=2s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["/usr/bin/tini", "--", "node", "--optimize-for-size", "bin/drover.js"]
CMD ["run"]
