# syntax=docker/dockerfile:1
# One image for both apps; the argument picks the app:
#   docker run IMAGE api            the HTTP API (port 3000)
#   docker run IMAGE cloud-worker   the worker (health and metrics on port 3001)
# Where no Docker engine runs, scripts/check-production-build.ts replays the build stage in a clean copy of
# the repository and starts both apps the way the final stage does: keep the build stage's commands relative
# to its WORKDIR, and the final stage free of RUN.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Dependencies first, so that a change to the sources alone reuses this layer.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY nest-cli.json tsconfig.json ./
COPY libs libs
COPY apps apps
RUN npm run build && npm prune --omit=dev --no-audit --no-fund
# `node api` runs api.js: one launcher per app, so that the container's argument names the app.
RUN printf "import './dist/apps/api/apps/api/src/main.js';\n" > api.js \
 && printf "import './dist/apps/cloud-worker/apps/cloud-worker/src/main.js';\n" > cloud-worker.js

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="cloud-worker" \
      org.opencontainers.image.description="Runs work requests from HTTP and RabbitMQ as Kubernetes Jobs and stores their logs in S3" \
      org.opencontainers.image.licenses="Apache-2.0"
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only to the app's user. package.json carries "type": "module" for the built output.
COPY --from=build /app/package.json /app/api.js /app/cloud-worker.js ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The base image's `node` user, by number so that Kubernetes can check runAsNonRoot.
USER 1000:1000
EXPOSE 3000 3001
ENTRYPOINT ["node", "--enable-source-maps"]
CMD ["api"]
