// check-config and run treat a configuration's librdkafka properties the same way, and neither
// ever prints a property's value (issue 14 item 2).
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/commands.h"

namespace keelson::agent {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSecret = "hunter2-SECRET";

struct Dir {
  Dir() {
    char t[] = "/tmp/keelson-checkcfg-XXXXXX";
    path = ::mkdtemp(t);
    fs::create_directories(path + "/logs");
  }
  ~Dir() { fs::remove_all(path); }
  std::string write(const std::string& text) const {
    std::ofstream(path + "/agent.yaml") << text;
    return path + "/agent.yaml";
  }
  std::string path;
};

std::string configWith(const std::string& property_line) {
  return "sink: kafka://127.0.0.1:1/logs\n"
         "logs:\n"
         "  kafka:\n"
         "    properties:\n"
         "      " +
         property_line + "\n";
}

struct Output {
  int code;
  std::string all;  // the command's streams and the process's stderr (librdkafka logs there)
};

Output checkConfig(const std::string& file) {
  std::ostringstream out, err;
  ::testing::internal::CaptureStderr();
  const int code = runCheckConfigCommand({"--config", file}, out, err);
  const std::string process = ::testing::internal::GetCapturedStderr();
  return {code, out.str() + err.str() + process};
}

Output run(const std::string& file, const Dir& dir) {
  std::ostringstream out, err;
  ::testing::internal::CaptureStderr();
  const int code = runRunCommand({"--config", file, "--listen", "127.0.0.1:0", "--state-dir",
                                  dir.path + "/state", "--log-root", dir.path + "/logs"},
                                 out, err);
  const std::string process = ::testing::internal::GetCapturedStderr();
  return {code, out.str() + err.str() + process};
}

TEST(CheckConfig, RefusedKafkaPropertiesFailLikeRunAndNeverShowTheirValue) {
  struct Case {
    const char* name;
    std::string line;
    const char* named;  // the property the error must name
  };
  const std::vector<Case> cases = {
      {"misspelt property", std::string("sasl.pasword: ") + kSecret, "sasl.pasword"},
      {"invalid value", std::string("security.protocol: ") + kSecret, "security.protocol"},
  };
  for (const auto& c : cases) {
    Dir dir;
    const std::string file = dir.write(configWith(c.line));
    const auto checked = checkConfig(file);
    EXPECT_EQ(checked.code, 1) << c.name << ": " << checked.all;
    EXPECT_NE(checked.all.find(c.named), std::string::npos) << c.name << ": " << checked.all;
    EXPECT_EQ(checked.all.find(kSecret), std::string::npos) << c.name << ": " << checked.all;
    const auto ran = run(file, dir);
    EXPECT_EQ(ran.code, 1) << c.name << ": " << ran.all;
    EXPECT_NE(ran.all.find(c.named), std::string::npos) << c.name << ": " << ran.all;
    EXPECT_EQ(ran.all.find(kSecret), std::string::npos) << c.name << ": " << ran.all;
  }
}

TEST(CheckConfig, SecretsComeFromTheEnvironmentOrAFile) {
  Dir dir;
  ::setenv("KEELSON_TEST_SASL_PASSWORD", kSecret, 1);
  std::ofstream(dir.path + "/password") << kSecret << "\n";
  const std::vector<std::string> ok = {"sasl.password: ${env:KEELSON_TEST_SASL_PASSWORD}",
                                       "sasl.password: ${file:" + dir.path + "/password}"};
  for (const auto& line : ok) {
    const auto checked = checkConfig(dir.write(configWith(line)));
    EXPECT_EQ(checked.code, 0) << line << ": " << checked.all;
    EXPECT_EQ(checked.all.find(kSecret), std::string::npos) << checked.all;
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"sasl.password: ${env:KEELSON_TEST_NOT_SET}", "KEELSON_TEST_NOT_SET"},
      {"sasl.password: ${file:" + dir.path + "/missing}", "/missing"},
  };
  for (const auto& [line, named] : bad) {
    const auto checked = checkConfig(dir.write(configWith(line)));
    EXPECT_EQ(checked.code, 1) << line << ": " << checked.all;
    EXPECT_NE(checked.all.find(named), std::string::npos) << checked.all;
    EXPECT_NE(checked.all.find("agent.yaml:5"), std::string::npos) << checked.all;
  }
  ::unsetenv("KEELSON_TEST_SASL_PASSWORD");
}

// Substitution applies to every value (agent/config_subst.h), and a value a parser refuses is
// quoted as its reference, never as the secret: check-config and run alike.
TEST(CheckConfig, ASubstitutedValueIsNeverPrintedWhereverItIsRefused) {
  Dir dir;
  ::setenv("KEELSON_TEST_BAD_VALUE", kSecret, 1);
  std::ofstream(dir.path + "/secret") << kSecret << "\n";
  const std::vector<std::string> files = {
      "logs:\n  inflight_budget: ${KEELSON_TEST_BAD_VALUE}\n",
      "logs:\n  undeliverable: ${file:" + dir.path + "/secret}\n",
      "cgroups: ${KEELSON_TEST_BAD_VALUE}\n",
      "sink: ${KEELSON_TEST_BAD_VALUE}\n",
  };
  for (const auto& text : files) {
    const std::string file = dir.write(text);
    const auto checked = checkConfig(file);
    EXPECT_EQ(checked.code, 1) << text << ": " << checked.all;
    EXPECT_EQ(checked.all.find(kSecret), std::string::npos) << checked.all;
    const auto ran = run(file, dir);
    EXPECT_EQ(ran.code, 1) << text << ": " << ran.all;
    EXPECT_EQ(ran.all.find(kSecret), std::string::npos) << ran.all;
  }
  ::unsetenv("KEELSON_TEST_BAD_VALUE");
}

}  // namespace
}  // namespace keelson::agent
