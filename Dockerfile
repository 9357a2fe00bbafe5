# syntax=docker/dockerfile:1
# Archipel in three stages: the map (Node), the server (Rust), and a small runtime image.

FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/package.json frontend/package-lock.json ./
RUN npm ci --no-audit --no-fund
# The build generates the API's types from the committed OpenAPI document (`npm run gen`).
COPY docs/openapi.json /src/docs/openapi.json
COPY frontend/ ./
RUN npm run build

FROM rust:1.95-bookworm AS server
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock clippy.toml ./
# cargo's linker setting names scripts/mold-gcc (plain cc here: the image has no mold)
COPY .cargo .cargo
COPY scripts/mold-gcc scripts/mold-gcc
COPY store store
COPY importer importer
COPY api api
COPY tests tests
COPY bench bench
COPY migrations migrations
RUN cargo build --release --bin archipel

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /srv/archipel archipel
WORKDIR /srv/archipel
COPY --from=server /src/target/release/archipel /usr/local/bin/archipel
COPY --from=frontend /src/frontend/dist ./frontend/dist
COPY demo ./demo
USER archipel
ENV ARCHIPEL_BIND=0.0.0.0 \
    ARCHIPEL_PORT=8080 \
    ARCHIPEL_FRONTEND_DIR=/srv/archipel/frontend/dist
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["archipel"]
CMD ["serve"]
