// The sinks the agent knows, by the form of their SINK argument. Adding a sink is one directory
// (or file pair) with its class and a `SinkType` describing it, plus one line in kSinkTypes
// (sink_registry.cpp); nothing else switches on the kind of sink.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "agent/sinks/sink.h"

namespace keelson::sinks {

struct SinkType {
  std::string_view name;  // "kafka", "embedded", "file", "stdout"
  std::string_view form;  // for the error that lists what is accepted: "file:PATH"
  // True when `spec` is meant for this sink (its scheme), even if it is malformed.
  bool (*matches)(std::string_view spec);
  // Validates `spec` and the sink's options without side effects (check-config).
  Status (*check)(std::string_view spec, const SinkContext& context);
  Result<std::unique_ptr<Sink>> (*create)(std::string_view spec, const SinkContext& context,
                                          DeliveryFn on_delivery);
};

// Every registered sink, in match order.
const std::vector<SinkType>& sinkTypes();

// The sink type `spec` is meant for, or null.
const SinkType* findSinkType(std::string_view spec);

// Each sink's registration (defined next to the sink).
SinkType kafkaSinkType();
SinkType embeddedSinkType();
SinkType fileSinkType();
SinkType stdoutSinkType();
SinkType httpSinkType();

}  // namespace keelson::sinks
