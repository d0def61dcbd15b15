# One image holding api, consumer and publish; it runs api unless told otherwise.
#   docker build -t biggoal .
#   docker run --rm -p 3000:3000 -e BIGGOAL_REDIS_URL=redis://redis:6379/0 biggoal
#   docker run --rm biggoal consumer --help        # (with --entrypoint, as compose does)
FROM swift:6.3-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis-dev librabbitmq-dev libssl-dev pkg-config \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# Dependencies first, in a layer of their own: a change to the sources does not fetch them
# again. (Package.resolved is not in git, so the versions come from Package.swift.)
COPY Package.swift ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests
# The Swift runtime is linked in, so the runtime image needs no toolchain. The static
# backtracer goes along: a crash then prints every thread's stack instead of dying silently.
RUN swift build -c release --static-swift-stdlib --product api \
    && swift build -c release --static-swift-stdlib --product consumer \
    && swift build -c release --static-swift-stdlib --product publish \
    && mkdir /staging \
    && bin="$(swift build -c release --show-bin-path)" \
    && cp "$bin/api" "$bin/consumer" "$bin/publish" /staging/ \
    && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/

FROM debian:bookworm-slim
# Only the runtime libraries: hiredis, librabbitmq and OpenSSL, which TLS links load when
# configured.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libhiredis0.14 librabbitmq4 libssl3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home --uid 10001 biggoal
COPY --from=build /staging/ /usr/local/bin/
COPY config.example.json /etc/biggoal/
ENV SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/bin/swift-backtrace-static
# Inside a container the services listen on every interface (outside one, they default to
# loopback): the port mapping decides what is reachable.
ENV BIGGOAL_HTTP_HOST=0.0.0.0 \
    BIGGOAL_CONSUMER_METRICS_HOST=0.0.0.0
USER 10001
EXPOSE 3000 9091
# The check reads the same settings as the service, so a port changed through the
# environment is followed. The consumer's container sets its own (consumer --check-health).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/api", "--check-health"]
ENTRYPOINT ["/usr/local/bin/api"]
