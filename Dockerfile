# The FHIR server image: Node 20, production dependencies only, run as the unprivileged node user.
# Build stage carries the compilers better-sqlite3 falls back to when no prebuilt binary fits the platform.
FROM node:20-slim AS dependencies
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production \
    FHIR_HOST=0.0.0.0 \
    FHIR_PORT=8080 \
    FHIR_DATA_DIR=/data
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json capability-statement.json ./
COPY src ./src
COPY profiles ./profiles
COPY seed ./seed
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=5 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.FHIR_PORT || 8080) + (process.env.FHIR_BASE_PATH ?? '/fhir') + '/metadata').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
# the start script would install dependencies on a fresh clone; the image already has them
CMD ["node", "--import", "tsx", "src/main.ts"]
