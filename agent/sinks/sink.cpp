#include "agent/sinks/sink.h"

#include <fmt/format.h>

#include "agent/sinks/sink_registry.h"

namespace keelson::sinks {

const std::vector<SinkType>& sinkTypes() {
  // One line per sink (kept so by hand: clang-format would pack a short list onto one line).
  // clang-format off
  static const std::vector<SinkType> kSinkTypes = {
      kafkaSinkType(),
      embeddedSinkType(),
      fileSinkType(),
      stdoutSinkType(),
      httpSinkType(),
  };
  // clang-format on
  return kSinkTypes;
}

const SinkType* findSinkType(std::string_view spec) {
  for (const auto& t : sinkTypes()) {
    if (t.matches(spec)) return &t;
  }
  return nullptr;
}

namespace {
Status unknown(std::string_view spec) {
  std::string forms;
  for (const auto& t : sinkTypes()) {
    if (!forms.empty()) forms += ", ";
    forms += t.form;
  }
  return fail("InvalidSink", fmt::format("sink '{}': unknown sink; expected {}", spec, forms));
}
}  // namespace

Result<std::unique_ptr<Sink>> makeSink(std::string_view spec, const SinkContext& context,
                                       DeliveryFn on_delivery) {
  const SinkType* t = findSinkType(spec);
  if (t == nullptr) return fail(unknown(spec).error());
  return t->create(spec, context, std::move(on_delivery));
}

Status checkSink(std::string_view spec, const SinkContext& context) {
  const SinkType* t = findSinkType(spec);
  if (t == nullptr) return unknown(spec);
  return t->check(spec, context);
}

}  // namespace keelson::sinks
