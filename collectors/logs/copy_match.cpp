#include "collectors/logs/copy_match.h"

#include <algorithm>

namespace keelson::logs {

std::string_view copyMatchName(CopyMatch m) {
  switch (m) {
    case CopyMatch::Match:
      return "Match";
    case CopyMatch::NothingToResume:
      return "NothingToResume";
    case CopyMatch::OtherDirectory:
      return "OtherDirectory";
    case CopyMatch::WeakFingerprint:
      return "WeakFingerprint";
    case CopyMatch::Different:
      return "Different";
    case CopyMatch::TooSmall:
      return "TooSmall";
  }
  return "Unknown";
}

std::string_view parentDirectory(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

HeadMatch matchLiveHead(std::string_view live_head, std::string_view candidate_head) {
  const std::size_t k = std::min(live_head.size(), candidate_head.size());
  if (k == 0 || live_head.substr(0, k) != candidate_head.substr(0, k)) return HeadMatch::No;
  if (candidate_head.substr(0, k).find('\n') != std::string_view::npos) return HeadMatch::Yes;
  return candidate_head.size() < live_head.size() ? HeadMatch::Undecided : HeadMatch::Yes;
}

CopyMatch matchCheckpointedCopy(const CheckpointedFile& checkpoint,
                                const CopyCandidate& candidate) {
  if (checkpoint.end_offset == 0 || checkpoint.restart_offset > checkpoint.end_offset)
    return CopyMatch::NothingToResume;
  const std::string_view dir = parentDirectory(checkpoint.path);
  if (dir.empty() || dir != candidate.dir) return CopyMatch::OtherDirectory;
  const std::uint64_t n = checkpoint.fingerprint.length;
  if (n < kMinCopyFingerprintBytes || n > kFingerprintMaxBytes) return CopyMatch::WeakFingerprint;
  if (candidate.head.size() < n) return CopyMatch::Different;
  const std::string_view bytes = candidate.head.substr(0, n);
  if (fingerprintOf(bytes) != checkpoint.fingerprint) return CopyMatch::Different;
  // Log lines start with a nanosecond timestamp (CRI) or carry one (docker json), so one whole
  // line is the same data; a shorter prefix (a long first line cut before kFingerprintMaxBytes)
  // could be shared by unrelated files.
  if (n < kFingerprintMaxBytes && bytes.find('\n') == std::string_view::npos)
    return CopyMatch::WeakFingerprint;
  if (candidate.size < checkpoint.end_offset) return CopyMatch::TooSmall;
  return CopyMatch::Match;
}

}  // namespace keelson::logs
