# keelson-agent image. Build from the repository root (BuildKit reads agent.Dockerfile.dockerignore):
#   docker build -f deploy/images/agent.Dockerfile -t keelson/agent:0.1.0 .
# Multi-stage: compile on debian:bookworm with the -dev packages of cmake/install-deps.sh, ship on
# bookworm-slim with only the runtime libraries the binary links against.

FROM debian:bookworm AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config ccache libre2-dev \
      prometheus-cpp-dev librdkafka-dev libboost-dev libboost-system-dev libfmt-dev \
      libyaml-cpp-dev nlohmann-json3-dev libssl-dev zlib1g-dev libre2-dev libmimalloc-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Tests are not built (no GoogleTest in the image); -j2 like the presets.
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
# The shared libraries keelson-agent links (Boost.Asio/Beast are header-only; librdkafka pulls in
# its own compression and SASL libraries as dependencies; mimalloc replaces malloc, see
# cmake/KeelsonDependencies.cmake); ca-certificates for TLS to Kafka.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      librdkafka1 libyaml-cpp0.7 libprometheus-cpp-core1.0 libfmt9 libre2-9 libssl3 zlib1g \
      libmimalloc2.0 \
      ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /build/agent/keelson-agent /usr/local/bin/keelson-agent
# Fail the build, not the pod, if a library the binary needs is missing from the list above.
RUN ! ldd /usr/local/bin/keelson-agent | grep 'not found'
# Runs as uid 0 without capabilities (deploy/base/agent/daemonset.yaml says why): it reads the
# node's root-owned container log files and writes its checkpoints to a root-owned hostPath.
USER 0:0
EXPOSE 9445
ENTRYPOINT ["/usr/local/bin/keelson-agent"]
CMD ["run", "--config", "/etc/keelson/agent.yaml"]
