// The log pipeline as one of `keelson-agent run`'s components (agent/component.h). The pipeline
// is created, and its sink checked, before any component starts, so a bad sink stops the start.
#pragma once

#include <memory>
#include <string>
#include <utility>

#include "agent/component.h"
#include "agent/logs/pipeline.h"

namespace keelson::agent {

class LogPipelineComponent : public Component {
 public:
  explicit LogPipelineComponent(std::unique_ptr<agent::LogPipeline> pipeline)
      : pipeline_(std::move(pipeline)) {}

  std::string name() const override { return "log pipeline"; }
  Status start() override {
    pipeline_->start();
    return {};
  }
  void stop() override { pipeline_->stop(); }

 private:
  std::unique_ptr<agent::LogPipeline> pipeline_;
};

}  // namespace keelson::agent
