# syntax=docker/dockerfile:1
# One image for every process of the production stack (docker-compose.prod.yml):
#   API     node dist/apps/api/src/main.js   (the default command)
#   worker  node dist/apps/worker/src/main.js
#   migrate node ops/scripts/migration.mjs run   (what `npm run migration:run` runs once dist/ is built)
# The `dev` target (docker-compose.yml) has every dependency and runs from the mounted source tree.

FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Development: the source is mounted at /app (docker-compose.yml); node_modules stays the image's.
FROM deps AS dev
ENV NODE_ENV=development HOST=0.0.0.0 PORT=8000
EXPOSE 8000 9100
CMD ["npx", "nest", "start", "api", "--watch", "--preserveWatchOutput"]

FROM deps AS build
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim AS production
# HOST: the app binds to 127.0.0.1 unless told otherwise; a container must listen on all interfaces.
# DATA_DIR: a volume owned by the non-root user (uploads, certificate PDFs); the root filesystem can
# then be read-only.
ENV NODE_ENV=production ENVIRONMENT=production DEBUG=false HOST=0.0.0.0 PORT=8000 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/ops/scripts/migration.mjs ./ops/scripts/migration.mjs
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8000 9100
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/api/v1/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "--enable-source-maps", "dist/apps/api/src/main.js"]
