#include "autoscaler/policy/quantity.h"

#include <chrono>

#include "collectors/common/units.h"

namespace keelson::policy {

Result<std::int64_t> parseDurationMillis(std::string_view text) {
  auto d = parseDuration(text, DurationDialect{std::chrono::seconds(1)});
  if (!d) return fail(d.error());
  return static_cast<std::int64_t>(d->count());
}

}  // namespace keelson::policy
