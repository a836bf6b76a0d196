# Third-party libraries, all from Debian's packages (cmake/install-deps.sh installs them).
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(prometheus-cpp REQUIRED COMPONENTS core)
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(ZLIB REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
# RE2 for every pattern applied to log lines (linear time: an untrusted line cannot make it
# backtrack).
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# Boost.Asio and Beast are header-only here; one target carries the definitions every user needs.
add_library(keelson_boost_net INTERFACE)
target_link_libraries(keelson_boost_net INTERFACE Boost::headers Threads::Threads OpenSSL::SSL
                                                  OpenSSL::Crypto)
target_compile_definitions(keelson_boost_net INTERFACE BOOST_ASIO_NO_DEPRECATED
                                                       BOOST_BEAST_USE_STD_STRING_VIEW)

# The agent's allocator. librdkafka allocates one ~220-byte block per Kafka message and frees them
# in bursts of thousands when a batch is acknowledged: glibc's malloc serves that from its sorted
# bins (a fifth of the producing thread's CPU), mimalloc from per-page free lists, and the blocks
# of one batch stay together for the broker thread's walks over them (tests/bench/README.md,
# "Log pipeline end to end"). Linked by keelson-agent and the benchmarks (they measure the agent),
# not by the tests; never with the sanitizers, which replace malloc themselves.
option(KEELSON_MIMALLOC "Link keelson-agent and the benchmarks with mimalloc" ON)
add_library(keelson_allocator INTERFACE)
if(KEELSON_MIMALLOC AND NOT KEELSON_SANITIZE)
  find_package(mimalloc 2.0 REQUIRED)
  target_link_libraries(keelson_allocator INTERFACE mimalloc)
endif()
