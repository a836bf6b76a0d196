// A stand-in for `keelson-agent run|ship` until the lead wires them into main.cpp: the
// integration tests start it as a separate process so they can SIGKILL it.
//   keelson_logs_agent ship <ship arguments>
//   keelson_logs_agent run --log-root DIR --sink SINK [--state-dir DIR] [--node-name N]
//                          [--config FILE] [--metrics-out FILE]
// `run` runs the pipeline until SIGTERM/SIGINT, then stops it (bounded flush, checkpoints) and
// writes the keelson_log_* exposition to --metrics-out.
#include <prometheus/text_serializer.h>
#include <signal.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "agent/cmd_ship.h"
#include "agent/logs/logs_config.h"
#include "agent/logs/pipeline.h"

namespace {
std::atomic<bool> g_stop{false};
void onSignal(int) {
  g_stop = true;
}
}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << "usage: keelson_logs_agent ship|run ...\n";
    return 2;
  }
  const std::string mode = args.front();
  args.erase(args.begin());
  if (mode == "ship") return keelson::agent::runShipCommand(args, std::cout, std::cerr);
  if (mode != "run") {
    std::cerr << "unknown mode " << mode << "\n";
    return 2;
  }
  keelson::logship::PipelineOptions po;
  std::string config;
  std::string metrics_out;
  for (std::size_t i = 0; i + 1 < args.size(); i += 2) {
    if (args[i] == "--log-root")
      po.log_root = args[i + 1];
    else if (args[i] == "--sink")
      po.sink = args[i + 1];
    else if (args[i] == "--state-dir")
      po.state_dir = args[i + 1];
    else if (args[i] == "--node-name")
      po.node_name = args[i + 1];
    else if (args[i] == "--config")
      config = args[i + 1];
    else if (args[i] == "--metrics-out")
      metrics_out = args[i + 1];
    else {
      std::cerr << "unknown argument " << args[i] << "\n";
      return 2;
    }
  }
  if (!config.empty()) {
    try {
      auto cfg = keelson::logship::parseLogsConfig(YAML::LoadFile(config)["logs"], config);
      if (!cfg) {
        std::cerr << cfg.error().message << "\n";
        return 1;
      }
      po.config = *cfg;
    } catch (const YAML::Exception& e) {
      std::cerr << config << ": " << e.what() << "\n";
      return 1;
    }
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  auto p = keelson::logship::LogPipeline::create(po);
  if (!p) {
    std::cerr << p.error().message << "\n";
    return 1;
  }
  (*p)->start();
  std::cerr << "keelson_logs_agent: running\n";
  while (!g_stop)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  (*p)->stop();
  if (!metrics_out.empty()) {
    std::ofstream(metrics_out) << prometheus::TextSerializer().Serialize(
        (*p)->metricsRegistry()->Collect());
  }
  return 0;
}
