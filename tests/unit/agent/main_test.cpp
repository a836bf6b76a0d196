// The built keelson-agent binary (agent/main.cpp is only main(); its commands are tested through
// agent/cli.cpp): when the build links mimalloc (KEELSON_MIMALLOC, cmake/KeelsonDependencies.cmake)
// every malloc in the process is mimalloc's, librdkafka's included: that is what the allocator was
// linked for (one block per Kafka message).
#include <gtest/gtest.h>

#include <cstdio>
#include <sstream>
#include <string>

namespace keelson::agent {
namespace {

// The dynamic linker's report of where each library's `malloc` is bound, with every symbol bound
// at load (LD_BIND_NOW) rather than at first call.
std::string mallocBindings() {
  std::FILE* p =
      ::popen("LD_BIND_NOW=1 LD_DEBUG=bindings " KEELSON_AGENT_BIN " --version 2>&1", "r");
  if (p == nullptr) return {};
  std::string all;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    all.append(buf, n);
  ::pclose(p);
  std::istringstream in(all);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    if (line.find("normal symbol `malloc'") != std::string::npos) out += line + "\n";
  }
  return out;
}

TEST(AgentBinary, MallocOfLibrdkafkaIsMimallocs) {
#if !KEELSON_AGENT_MIMALLOC
  GTEST_SKIP() << "built without mimalloc (KEELSON_MIMALLOC=OFF, or a sanitizer build)";
#endif
  const std::string bindings = mallocBindings();
  std::istringstream in(bindings);
  bool seen_rdkafka = false;
  for (std::string line; std::getline(in, line);) {
    if (line.find("librdkafka") == std::string::npos) continue;
    seen_rdkafka = true;
    EXPECT_NE(line.find(" to "), std::string::npos) << line;
    EXPECT_NE(line.find("libmimalloc", line.find(" to ")), std::string::npos) << line;
  }
  EXPECT_TRUE(seen_rdkafka) << "no binding of librdkafka's malloc reported:\n" << bindings;
}

}  // namespace
}  // namespace keelson::agent
