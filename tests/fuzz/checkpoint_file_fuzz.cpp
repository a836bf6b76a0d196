// Fuzz target: the checkpoint file parser (agent/checkpoint) and the tailer's judgement of each
// entry (collectors/logs/resume_check.h). The file lives on a hostPath and outlives the agent, so
// it is treated as untrusted bytes. Invariants: never crashes or throws; a file that decodes
// re-encodes to one that decodes to the same entries; checkResumePoint never resumes an entry with
// restart beyond end, an empty or over-long fingerprint, or a restart offset inside a line.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/checkpoint/checkpoint_store.h"
#include "collectors/logs/fingerprint.h"
#include "collectors/logs/resume_check.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzSetInput(data, size);
  using namespace keelson;
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto decoded = checkpoint::decodeCheckpoints(text, "fuzz.json");
  if (!decoded) {
    FUZZ_CHECK(decoded.error().reason == "CorruptCheckpoint");
    return 0;
  }
  auto again = checkpoint::decodeCheckpoints(checkpoint::encodeCheckpoints(*decoded), "fuzz.json");
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->size() == decoded->size());
  for (std::size_t i = 0; i < decoded->size(); ++i) {
    const auto& a = (*decoded)[i];
    const auto& b = (*again)[i];
    FUZZ_CHECK(a.device == b.device && a.inode == b.inode);
    FUZZ_CHECK(a.fingerprint_length == b.fingerprint_length);
    FUZZ_CHECK(a.fingerprint_hash == b.fingerprint_hash);
    FUZZ_CHECK(a.restart_offset == b.restart_offset && a.end_offset == b.end_offset);
    for (const char before : {'\n', 'x'}) {
      logs::ResumeFacts facts;
      facts.fingerprint_length = a.fingerprint_length;
      facts.restart_offset = a.restart_offset;
      facts.end_offset = a.end_offset;
      facts.file_size = a.end_offset;
      facts.fingerprint_matches = true;
      facts.byte_before_restart = before;
      if (logs::checkResumePoint(facts) != logs::ResumeCheck::Resume) continue;
      FUZZ_CHECK(a.restart_offset <= a.end_offset);
      FUZZ_CHECK(a.fingerprint_length > 0 && a.fingerprint_length <= logs::kFingerprintMaxBytes);
      FUZZ_CHECK(a.restart_offset == 0 || before == '\n');
    }
  }
  return 0;
}
