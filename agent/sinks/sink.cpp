#include "agent/sinks/sink.h"

#include <cstdio>

#include "agent/sinks/kafka_sink.h"
#include "agent/sinks/mock_cluster.h"
#include "agent/sinks/stream_sink.h"

namespace keelson::sinks {

Result<std::unique_ptr<Sink>> makeSink(const SinkSpec& spec, const SinkOptions& options,
                                       DeliveryFn on_delivery) {
  switch (spec.kind) {
    case SinkSpec::Kind::Stdout:
      return std::unique_ptr<Sink>(StreamSink::standardOutput(std::move(on_delivery)));
    case SinkSpec::Kind::File: {
      auto s = StreamSink::openFile(spec.path, std::move(on_delivery));
      if (!s) return fail(s.error());
      return std::unique_ptr<Sink>(std::move(s).value());
    }
    case SinkSpec::Kind::Embedded:
    case SinkSpec::Kind::Kafka: {
      auto tmpl = TopicTemplate::parse(spec.topic_template);
      if (!tmpl) return fail(tmpl.error());
      std::shared_ptr<MockCluster> cluster;
      std::string brokers = spec.brokers;
      if (spec.kind == SinkSpec::Kind::Embedded) {
        auto c = MockCluster::create(1);
        if (!c) return fail(c.error());
        cluster = std::move(c).value();
        brokers = cluster->bootstraps();
        // The only way to see what the demo sink received: `kcat -b <address> -t <topic> -C`.
        std::fprintf(stderr, "keelson-agent: embedded Kafka cluster listening on %s\n",
                     brokers.c_str());
      }
      auto s = KafkaSink::create(brokers, std::move(tmpl).value(), options, std::move(on_delivery),
                                 std::move(cluster));
      if (!s) return fail(s.error());
      return std::unique_ptr<Sink>(std::move(s).value());
    }
  }
  return fail("InvalidSink", "unknown sink kind");
}

}  // namespace keelson::sinks
