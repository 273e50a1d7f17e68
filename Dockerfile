# resp-elect sidecar image.
#   docker build -t resp-elect .
#   docker run --rm resp-elect --help
# Stage 1 compiles the TypeScript; stage 2 resolves production dependencies only;
# the final image holds node, dist/src (the product, nothing of lab/) and those
# dependencies, and runs as the unprivileged `node` user. The `lab` stage is the
# compose stack's writer (docker-compose.yml builds it with `target: lab`): the
# same plus dist/lab, the demo's acknowledged-write loop and log replay.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
COPY lab ./lab
COPY scripts ./scripts
# Without comments (the image runs the code, nobody reads it there): V8 keeps every module's source
# text in memory, about 1 MB of each sidecar's RSS with them (#16). No declarations either.
RUN npx tsc -p tsconfig.json --removeComments --declaration false

FROM node:20-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-slim AS lab
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/lab ./dist/lab
COPY package.json ./
USER node
ENTRYPOINT ["node"]

# The product image: the last stage, so what `docker build .` makes by default.
FROM node:20-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY package.json protocol.md ./
# The vote file lives here (--data-dir); mount a volume on it so a restarted
# container remembers its votes.
RUN mkdir -p /var/lib/resp-elect && chown node:node /var/lib/resp-elect
VOLUME /var/lib/resp-elect
USER node
# Peers and Sentinel clients (--listen).
EXPOSE 26379
ENTRYPOINT ["node", "dist/src/cli/main.js"]
CMD ["run"]
