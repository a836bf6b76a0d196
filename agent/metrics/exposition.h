// Serializes collectables into one Prometheus text exposition (prometheus-cpp's TextSerializer).
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

namespace keelson::agent {

// Collects each collectable in order and serializes the families. Never throws.
std::string renderExposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources);

}  // namespace keelson::agent
