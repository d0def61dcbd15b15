# One image holding api, consumer and publish.
#   docker build -t biggoal .
#   docker run --rm biggoal api --help
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis-dev librabbitmq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --static-swift-stdlib --product api \
    && swift build -c release --static-swift-stdlib --product consumer \
    && swift build -c release --static-swift-stdlib --product publish \
    && mkdir /out \
    && cp "$(swift build -c release --show-bin-path)"/api "$(swift build -c release --show-bin-path)"/consumer \
          "$(swift build -c release --show-bin-path)"/publish /out/

FROM debian:bookworm-slim
# Only the runtime libraries: hiredis, librabbitmq and OpenSSL, which TLS links load when
# configured (the Swift runtime is linked in).
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis0.14 librabbitmq4 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --uid 10001 biggoal
COPY --from=build /out/ /usr/local/bin/
COPY config.example.json /etc/biggoal/
USER 10001
EXPOSE 3000
ENTRYPOINT ["/usr/local/bin/api"]
