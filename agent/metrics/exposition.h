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
//
// openText() is the streamed form: a TextPieces whose appendNext(out, min_bytes) appends whole
// families until `out` grew by at least min_bytes and returns whether more remain; the pieces
// concatenated equal appendText's output. The default writes everything in one piece.
class TextPieces {
 public:
  virtual ~TextPieces() = default;
  virtual bool appendNext(std::string& out, std::size_t min_bytes) = 0;
};

class TextCollectable : public prometheus::Collectable {
 public:
  virtual void appendText(std::string& out) const = 0;
  virtual std::unique_ptr<TextPieces> openText() const;
};

// The exposition of `sources`, in pieces of about `piece_bytes` (one source's families are
// never split), for a streamed /metrics response: the agent holds one piece at a time instead
// of the whole body. Concatenated, the pieces equal renderExposition's output. Not thread-safe;
// the sources must outlive the stream.
class ExpositionStream {
 public:
  explicit ExpositionStream(std::vector<std::shared_ptr<prometheus::Collectable>> sources,
                            std::size_t piece_bytes = std::size_t{1} << 20);
  // Appends the next piece to `out`; returns false once nothing remains. Never throws: on
  // allocation failure the piece being written is dropped and the stream ends.
  bool next(std::string& out);

 private:
  std::vector<std::shared_ptr<prometheus::Collectable>> sources_;
  std::size_t piece_bytes_;
  std::size_t current_ = 0;
  std::unique_ptr<TextPieces> pieces_;
};

// Collects each collectable in order into one text exposition (TextCollectables write their
// text directly; the others go through prometheus::TextSerializer). Never throws. `size_hint`
// (the previous exposition's size) is reserved up front: a 16 MB exposition grown by doubling
// would briefly hold twice that.
std::string renderExposition(const std::vector<std::shared_ptr<prometheus::Collectable>>& sources,
                             std::size_t size_hint = 0);

}  // namespace keelson::agent
