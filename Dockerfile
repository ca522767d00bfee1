# One image for the three apps; choose the app with APP (api | ingest | journy-events); the api serves the console. Node.js 24, the active LTS
# line (supported lines and why: README, "Node.js lines").
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
COPY scripts/build-console.js ./scripts/
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
# A bounded heap keeps resident memory flat (the apps stream: pages, batches, never a whole org).
ENV NODE_OPTIONS=--max-old-space-size=192
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
USER node
ARG APP=api
ENV APP=${APP}
CMD ["sh", "-c", "exec node dist/apps/${APP}/src/main.js"]
