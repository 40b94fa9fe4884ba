# The Arbiter worker image: `docker build -t arbiter .`, then `docker run arbiter` (a worker; pass
# TEMPORAL_ADDRESS and friends) or `docker run arbiter <command>` for any other CLI command.
#
# Two stages: the first compiles the TypeScript (tsc) and prebuilds every workflow bundle variant;
# the image itself holds that compiled code and the production dependencies only, no compiler,
# no sources, nothing transpiled at run time.
#
# Debian slim, not Alpine: the Temporal core bridge is a native addon built against glibc.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# node-llama-cpp uses its prebuilt binding: never download or build llama.cpp in the image.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
# All four workflow bundles (with and without tracing, with and without encrypted failures): which
# one a worker needs depends on the environment it is started with.
RUN node scripts/build.mjs --all-bundles

FROM node:20-bookworm-slim

# The slim image has no root certificates, and the Temporal core bridge reads the system store
# (not Node's bundled one) for any TLS connection, Temporal Cloud included.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so editing the sources does not reinstall them: production ones only.
COPY package.json package-lock.json ./
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# One COPY per directory: COPY copies a directory's contents, so `COPY bin dist ./` would merge them.
COPY --from=build /app/dist ./dist
COPY agents.yaml ./
COPY bin ./bin
COPY policies ./policies
COPY config ./config
COPY examples ./examples

# The data dir (ARBITER_DATA_DIR, audit records) must be writable by the unprivileged user; a
# named volume mounted here starts with this ownership.
RUN mkdir -p /app/.arbiter && chown node:node /app/.arbiter
USER node

ENTRYPOINT ["node", "bin/arbiter.js"]
CMD ["worker"]
