#include "agent/metrics/exposition.h"

#include <prometheus/text_serializer.h>

#include <exception>

namespace keelson::agent {

std::string renderExposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources,
                             std::size_t size_hint) {
  try {
    std::string out;
    out.reserve(size_hint + size_hint / 8);
    const prometheus::TextSerializer serializer;
    for (const auto& s : sources) {
      if (const auto* text = dynamic_cast<const TextCollectable*>(s.get())) {
        text->appendText(out);
      } else {
        out += serializer.Serialize(s->Collect());
      }
    }
    return out;
  } catch (const std::exception&) {
    return {};
  }
}

}  // namespace keelson::agent
