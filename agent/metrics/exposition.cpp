#include "agent/metrics/exposition.h"

#include <prometheus/text_serializer.h>

#include <exception>

namespace keelson::agent {

std::string renderExposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources) {
  try {
    std::vector<prometheus::MetricFamily> families;
    for (const auto& s : sources) {
      auto f = s->Collect();
      families.insert(families.end(), std::make_move_iterator(f.begin()),
                      std::make_move_iterator(f.end()));
    }
    return prometheus::TextSerializer().Serialize(families);
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace keelson::agent
