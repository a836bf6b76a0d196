# keelson-autoscaler image. Build from the repository root (BuildKit reads
# autoscaler.Dockerfile.dockerignore):
#   docker build -f deploy/images/autoscaler.Dockerfile -t keelson/autoscaler:0.1.0 .
# Multi-stage: compile on debian:bookworm, ship on bookworm-slim with only the runtime libraries
# the binary links against, as a non-root user.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config ccache libre2-dev \
      prometheus-cpp-dev librdkafka-dev libboost-dev libboost-system-dev libfmt-dev \
      libyaml-cpp-dev nlohmann-json3-dev libssl-dev zlib1g-dev libre2-dev libmimalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The build stage is the same in agent.Dockerfile and autoscaler.Dockerfile (both binaries): a
# layer cache (BuildKit, buildah --layers) then compiles once for the two images.
# The compiler cache lives in a build-cache mount (BuildKit and buildah keep it between builds, never
# in a layer): a rebuild after a small change recompiles only what changed.
RUN --mount=type=cache,target=/root/.cache/ccache \
    cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DKEELSON_BUILD_TESTS=OFF \
      -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
 && cmake --build /build --target keelson-agent keelson-autoscaler -j2 \
 && strip /build/agent/keelson-agent /build/autoscaler/keelson-autoscaler

FROM debian:bookworm-slim
# librdkafka for KafkaLag metrics (consumer-group offsets), OpenSSL for the API server and HTTPS
# Prometheus endpoints; ca-certificates for the latter (the API server's CA comes from the
# service-account volume). tzdata: schedules name IANA time zones (timeZone: Europe/Berlin).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libyaml-cpp0.7 libprometheus-cpp-core1.0 libfmt9 libssl3 zlib1g \
      ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/autoscaler/keelson-autoscaler /usr/local/bin/keelson-autoscaler
RUN ! ldd /usr/local/bin/keelson-autoscaler | grep 'not found'
# The same uid as the Deployment's runAsUser, so the image also runs non-root outside Kubernetes.
RUN groupadd --system --gid 65532 keelson \
 && useradd --system --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent \
      --shell /usr/sbin/nologin keelson
USER 65532:65532
EXPOSE 9446
ENTRYPOINT ["/usr/local/bin/keelson-autoscaler"]
CMD ["run", "--policies", "/etc/keelson/policies"]
