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

namespace {

class OnePiece : public TextPieces {
 public:
  explicit OnePiece(const TextCollectable& source) : source_(source) {}
  bool appendNext(std::string& out, std::size_t /*min_bytes*/) override {
    source_.appendText(out);
    return false;
  }

 private:
  const TextCollectable& source_;
};

}  // namespace

std::unique_ptr<TextPieces> TextCollectable::openText() const {
  return std::make_unique<OnePiece>(*this);
}

ExpositionStream::ExpositionStream(std::vector<std::shared_ptr<prometheus::Collectable>> sources,
                                   std::size_t piece_bytes)
    : sources_(std::move(sources)), piece_bytes_(piece_bytes > 0 ? piece_bytes : 1) {}

bool ExpositionStream::next(std::string& out) {
  const std::size_t start = out.size();
  try {
    while (current_ < sources_.size() && out.size() - start < piece_bytes_) {
      const auto& s = sources_[current_];
      if (const auto* text = dynamic_cast<const TextCollectable*>(s.get())) {
        if (!pieces_) pieces_ = text->openText();
        if (pieces_->appendNext(out, piece_bytes_ - (out.size() - start))) continue;
        pieces_.reset();
      } else {
        out += prometheus::TextSerializer().Serialize(s->Collect());
      }
      ++current_;
    }
    return current_ < sources_.size();
  } catch (const std::exception&) {
    out.resize(start);
    pieces_.reset();
    current_ = sources_.size();
    return false;
  }
}

}  // namespace keelson::agent
