// A long-running part of `keelson-agent run` (the metrics server, the log pipeline, ...).
// `run` starts components in order and stops them in reverse order on SIGTERM/SIGINT, or when a
// later one fails to start. start() and stop() are called from the main thread only; stop() is
// called only after a successful start() and must return once the component's threads are gone.
#pragma once

#include <string>

#include "collectors/common/result.h"

namespace keelson::agent {

class Component {
 public:
  virtual ~Component() = default;
  virtual std::string name() const = 0;
  virtual Status start() = 0;
  virtual void stop() = 0;
};

}  // namespace keelson::agent
