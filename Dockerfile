# Lockstep in a container: `docker compose up --build` (see docker-compose.yml), or
#   docker build -t lockstep . && docker run -p 127.0.0.1:8088:8088 -v lockstep-data:/data lockstep
#
# Build stage: any official Swift 6.1-or-newer Debian 12 image works (the project is developed on 6.3).
ARG SWIFT_IMAGE=swift:6.2-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev libpq-dev libmariadb-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so that a source change does not fetch them again.
COPY Package.swift ./
RUN swift package resolve
COPY . .
RUN swift build -c release --product lockstep --static-swift-stdlib \
    && install -D "$(swift build -c release --show-bin-path)/lockstep" /out/lockstep

# Runtime stage: the same Debian release, with only the C libraries the binary links (sqlite3, libpq, libmariadb).
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 libpq5 libmariadb3 ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin lockstep \
    && mkdir /data && chown lockstep: /data
COPY --from=build /out/lockstep /usr/local/bin/lockstep
USER lockstep
# The store and, unless LOCKSTEP_ROOT_KEY is set, the root key file (root.key, mode 0600).
VOLUME /data
EXPOSE 8088
ENTRYPOINT ["lockstep"]
CMD ["serve", "--listen", "0.0.0.0:8088", "--data-dir", "/data"]
