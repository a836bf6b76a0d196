// Offsets of one file instance: how far it was read, what was emitted, where it was placed by a
// resume, and the line being read across chunk boundaries. The offset contract itself is in
// tailer.h; these are its bookkeeping pieces, pure and table-tested.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "collectors/logs/tailer.h"

namespace keelson::logs {

struct FileOffsets {
  std::uint64_t read_offset = 0;      // bytes consumed
  std::uint64_t skip_through = 0;     // resume: records ending at or before this were shipped
  std::uint64_t emitted_end = 0;      // end_offset of the last record emitted
  std::uint64_t emitted_restart = 0;  // restart_offset of the last record emitted
  StartPoint start;                   // where this instance began (checkpoint, continued copy)

  // Places the instance at a point shipped before, like a resume: reading starts again at
  // `restart` (so a group straddling `end` is re-assembled whole) and every record ending at or
  // before `end` is suppressed. `continues_serial`: the truncated live instance a copytruncate
  // copy continues (0 for a checkpoint).
  void placeAt(std::uint64_t restart, std::uint64_t end, std::uint64_t continues_serial = 0);

  // A record (or a line) ending at `end_offset` was shipped before this instance was placed.
  bool shipped(std::uint64_t end_offset) const { return end_offset <= skip_through; }

  // Bytes of the chunk [base, read_offset) not shipped before (what bytes_read counts).
  std::uint64_t newBytesSince(std::uint64_t base) const;
};

// The line being read across chunk boundaries: its bytes so far, from `offset`. A line longer
// than the limit keeps its head in `bytes` and is discarded up to its '\n' (`discarding`), while
// `tail` keeps its last bytes (where docker json puts "stream" and "time").
struct LineCarry {
  static constexpr std::size_t kTailBytes = 512;

  std::string bytes;
  std::uint64_t offset = 0;
  bool discarding = false;
  std::string tail;

  bool empty() const { return bytes.empty() && !discarding; }
  void append(std::string_view more, std::size_t line_limit);
  void clear();  // the line ended (or was let go)
};

// Splits `chunk`, read at file offset `base`, into lines: first the line `carry` holds, if this
// chunk ends it, then each line ended by '\n'; the unterminated rest goes into `carry`. Calls
// on_line(bytes, start, end, cut) for each line (`end` just past its '\n', `cut`: only the head of
// an over-long line; its tail is in carry.tail during the call) and stops after a call that
// returns false. Returns how many bytes of the chunk were consumed: all of them unless stopped.
template <class OnLine>
std::size_t splitLines(std::string_view chunk, std::uint64_t base, LineCarry& carry,
                       std::size_t line_limit, OnLine&& on_line) {
  std::size_t pos = 0;
  if (!carry.empty()) {
    const std::size_t at = chunk.find('\n');
    if (at == std::string_view::npos) {
      carry.append(chunk, line_limit);
      return chunk.size();
    }
    carry.append(chunk.substr(0, at), line_limit);
    const bool go =
        on_line(std::string_view(carry.bytes), carry.offset, base + at + 1, carry.discarding);
    carry.clear();
    pos = at + 1;
    if (!go) return pos;
  }
  while (pos < chunk.size()) {
    const std::size_t at = chunk.find('\n', pos);
    if (at == std::string_view::npos) {
      carry.offset = base + pos;
      carry.append(chunk.substr(pos), line_limit);
      return chunk.size();
    }
    const bool go = on_line(chunk.substr(pos, at - pos), base + pos, base + at + 1, false);
    pos = at + 1;
    if (!go) break;
  }
  return pos;
}

// Where "from the end" starts, from the last bytes of a file of `size` bytes read at `from`
// (`window`): just past the last '\n', so a line being written at that moment is read whole; a
// file with no '\n' in a window that starts at 0 is one unfinished line (0); a longer unfinished
// line is entered at `size` (its head is not shipped).
std::uint64_t lineStartIn(std::string_view window, std::uint64_t from, std::uint64_t size);

}  // namespace keelson::logs
