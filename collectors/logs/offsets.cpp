#include "collectors/logs/offsets.h"

#include <algorithm>

namespace keelson::logs {

void FileOffsets::placeAt(std::uint64_t restart, std::uint64_t end,
                          std::uint64_t continues_serial) {
  read_offset = restart;
  skip_through = end;
  emitted_end = end;
  emitted_restart = restart;
  start = StartPoint{true, restart, end, continues_serial};
}

std::uint64_t FileOffsets::newBytesSince(std::uint64_t base) const {
  const std::uint64_t from = std::max(base, skip_through);
  return read_offset > from ? read_offset - from : 0;
}

void LineCarry::append(std::string_view more, std::size_t line_limit) {
  if (!discarding && bytes.size() + more.size() > line_limit) {
    const std::size_t room = line_limit - bytes.size();
    bytes.append(more.substr(0, room));
    discarding = true;
    // Seed the tail with the head's end, so a field cut between head and tail is still whole.
    tail.assign(std::string_view(bytes).substr(bytes.size() -
                                               std::min<std::size_t>(kTailBytes, bytes.size())));
    more.remove_prefix(room);
  }
  if (!discarding) {
    bytes.append(more);
    return;
  }
  if (more.size() >= kTailBytes) {
    tail.assign(more.substr(more.size() - kTailBytes));
  } else {
    tail.append(more);
    if (tail.size() > 2 * kTailBytes) tail.erase(0, tail.size() - kTailBytes);
  }
}

void LineCarry::clear() {
  bytes.clear();
  tail.clear();
  discarding = false;
  if (bytes.capacity() > 64 * 1024) bytes.shrink_to_fit();
}

std::uint64_t lineStartIn(std::string_view window, std::uint64_t from, std::uint64_t size) {
  if (window.empty()) return size;
  const auto nl = window.rfind('\n');
  if (nl != std::string_view::npos) return from + nl + 1;
  return from == 0 ? 0 : size;
}

}  // namespace keelson::logs
