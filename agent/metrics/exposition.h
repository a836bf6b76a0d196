// Serializes collectables into one Prometheus text exposition (prometheus-cpp's TextSerializer).
#pragma once

#include <prometheus/collectable.h>

#include <memory>
#include <string>
#include <vector>

namespace keelson::agent {

// A Collectable that can also write its text exposition directly (the container collector: its
// tens of thousands of series are cheaper written than built as objects and serialized).
// appendText must produce exactly what TextSerializer would for Collect()'s families.
class TextCollectable : public prometheus::Collectable {
 public:
  virtual void appendText(std::string& out) const = 0;
};

// Collects each collectable in order into one text exposition (TextCollectables write their
// text directly; the others go through prometheus::TextSerializer). Never throws. `size_hint`
// (the previous exposition's size) is reserved up front: a 16 MB exposition grown by doubling
// would briefly hold twice that.
std::string renderExposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources,
                             std::size_t size_hint = 0);

}  // namespace keelson::agent
