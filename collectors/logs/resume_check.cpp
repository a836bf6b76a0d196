#include "collectors/logs/resume_check.h"

#include <algorithm>

#include "collectors/logs/fingerprint.h"

namespace keelson::logs {

std::string_view resumeCheckReason(ResumeCheck c) {
  switch (c) {
    case ResumeCheck::Resume:
    case ResumeCheck::NothingToResume:
    case ResumeCheck::FingerprintMismatch:
      return "";
    case ResumeCheck::RefusedRestartBeyondEnd:
      return "RestartBeyondEnd";
    case ResumeCheck::RefusedFingerprintEmpty:
      return "FingerprintEmpty";
    case ResumeCheck::RefusedFingerprintTooLong:
      return "FingerprintTooLong";
    case ResumeCheck::RefusedFingerprintTooShort:
      return "FingerprintTooShort";
    case ResumeCheck::RefusedMidLine:
      return "MidLine";
  }
  return "Unknown";
}

ResumeCheck checkResumePoint(const ResumeFacts& f) {
  if (f.restart_offset > f.end_offset) return ResumeCheck::RefusedRestartBeyondEnd;
  if (f.fingerprint_length > kFingerprintMaxBytes) return ResumeCheck::RefusedFingerprintTooLong;
  if (f.fingerprint_length == 0) {
    return f.end_offset == 0 ? ResumeCheck::NothingToResume : ResumeCheck::RefusedFingerprintEmpty;
  }
  // The tailer fingerprints at least what it has read, and it has read up to restart_offset.
  if (f.fingerprint_length < std::min<std::uint64_t>(kFingerprintMaxBytes, f.restart_offset))
    return ResumeCheck::RefusedFingerprintTooShort;
  if (!f.fingerprint_matches || f.restart_offset > f.file_size)
    return ResumeCheck::FingerprintMismatch;
  if (f.restart_offset > 0 && f.byte_before_restart != '\n') return ResumeCheck::RefusedMidLine;
  return ResumeCheck::Resume;
}

}  // namespace keelson::logs
