# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript, then drop dev dependencies.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY crds ./crds
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

# Runtime stage: node, git (drover reads specs with the real git binary) and ssh for git over SSH.
FROM node:20-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends git openssh-client ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
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
