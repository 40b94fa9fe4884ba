# The Arbiter worker image: `docker build -t arbiter .`, then `docker run arbiter` (a worker; pass
# TEMPORAL_ADDRESS and friends) or `docker run arbiter <command>` for any other CLI command.
#
# Debian slim, not Alpine: the Temporal core bridge is a native addon built against glibc.
FROM node:20-bookworm-slim

# The slim image has no root certificates, and the Temporal core bridge reads the system store
# (not Node's bundled one) for any TLS connection, Temporal Cloud included.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ca-certificates \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first, so editing the sources does not reinstall them. tsx is a runtime
# dependency (the CLI runs the TypeScript sources directly), so --omit=dev keeps it.
COPY package.json package-lock.json ./
# node-llama-cpp uses its prebuilt binding: never download or build llama.cpp in the image.
ENV NODE_LLAMA_CPP_SKIP_DOWNLOAD=true
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# One COPY per directory: COPY copies a directory's contents, so `COPY bin src ./` would merge them.
COPY tsconfig.json agents.yaml ./
COPY bin ./bin
COPY src ./src
COPY policies ./policies
COPY config ./config
COPY examples ./examples

# The data dir (ARBITER_DATA_DIR, audit records) must be writable by the unprivileged user; a
# named volume mounted here starts with this ownership.
RUN mkdir -p /app/.arbiter && chown node:node /app/.arbiter
USER node

ENTRYPOINT ["node", "bin/arbiter.js"]
CMD ["worker"]
