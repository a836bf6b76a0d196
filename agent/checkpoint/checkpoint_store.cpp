#include "agent/checkpoint/checkpoint_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "collectors/common/file.h"

namespace keelson::checkpoint {

namespace {
constexpr int kVersion = 1;

Status ioError(const std::string& what, const std::string& path) {
  return fail("IoError", what + " " + path + ": " + std::strerror(errno));
}

Status writeAll(int fd, std::string_view data, const std::string& path) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("cannot write", path);
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}
}  // namespace

std::string encodeCheckpoints(const std::vector<Entry>& entries) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& e : entries) {
    files.push_back({{"device", e.device},
                     {"inode", e.inode},
                     {"path", e.path},
                     {"fingerprint_length", e.fingerprint_length},
                     {"fingerprint_hash", e.fingerprint_hash},
                     {"restart_offset", e.restart_offset},
                     {"end_offset", e.end_offset}});
  }
  nlohmann::json doc = {{"version", kVersion}, {"files", std::move(files)}};
  // Paths are bytes, not necessarily UTF-8: replace rather than throw.
  return doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::vector<Entry>> decodeCheckpoints(std::string_view text,
                                             const std::string& path_for_errors) {
  const auto corrupt = [&](const std::string& why) {
    return fail("CorruptCheckpoint", "checkpoint file " + path_for_errors + " is corrupt (" + why +
                                         "); reading restarts from the start of every file");
  };
  nlohmann::json doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return corrupt("not valid JSON");
  if (!doc.is_object()) return corrupt("not a JSON object");
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() || version->get<int>() != kVersion) {
    return corrupt("missing or unsupported \"version\"");
  }
  const auto files = doc.find("files");
  if (files == doc.end() || !files->is_array()) return corrupt("\"files\" is not an array");
  std::vector<Entry> out;
  out.reserve(files->size());
  for (std::size_t i = 0; i < files->size(); ++i) {
    const auto& f = (*files)[i];
    const auto bad = [&](const char* field) {
      return corrupt("entry " + std::to_string(i) + ": \"" + field + "\" missing or mistyped");
    };
    if (!f.is_object()) return corrupt("entry " + std::to_string(i) + " is not an object");
    Entry e;
    if (!f.contains("device") || !f["device"].is_number_unsigned()) return bad("device");
    if (!f.contains("inode") || !f["inode"].is_number_unsigned()) return bad("inode");
    if (!f.contains("path") || !f["path"].is_string()) return bad("path");
    for (const char* field :
         {"fingerprint_length", "fingerprint_hash", "restart_offset", "end_offset"}) {
      if (!f.contains(field) || !f[field].is_number_unsigned()) return bad(field);
    }
    e.device = f["device"].get<std::uint64_t>();
    e.inode = f["inode"].get<std::uint64_t>();
    e.path = f["path"].get<std::string>();
    e.fingerprint_length = f["fingerprint_length"].get<std::uint64_t>();
    e.fingerprint_hash = f["fingerprint_hash"].get<std::uint64_t>();
    e.restart_offset = f["restart_offset"].get<std::uint64_t>();
    e.end_offset = f["end_offset"].get<std::uint64_t>();
    out.push_back(std::move(e));
  }
  return out;
}

Store::Store(std::string dir) : dir_(std::move(dir)), path_(dir_ + "/logs-checkpoints.json") {}

Result<std::vector<Entry>> Store::load() const {
  std::string text;
  const Status st = readSmallFile(path_, text, 256u << 20);
  if (!st) {
    if (st.error().reason == "NotFound") return std::vector<Entry>{};
    if (st.error().reason == "TooLarge") {
      return fail("CorruptCheckpoint", "checkpoint file " + path_ + " is implausibly large");
    }
    return fail(st.error());
  }
  return decodeCheckpoints(text, path_);
}

Status Store::save(const std::vector<Entry>& entries) {
  if (::mkdir(dir_.c_str(), 0755) != 0 && errno != EEXIST) {
    return ioError("cannot create the state directory", dir_);
  }
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ioError("cannot create", tmp);
  Status st = writeAll(fd, encodeCheckpoints(entries), tmp);
  if (st && ::fsync(fd) != 0) st = ioError("cannot fsync", tmp);
  if (::close(fd) != 0 && st) st = ioError("cannot close", tmp);
  if (!st) {
    ::unlink(tmp.c_str());
    return st;
  }
  if (::rename(tmp.c_str(), path_.c_str()) != 0) {
    Status err = ioError("cannot rename into", path_);
    ::unlink(tmp.c_str());
    return err;
  }
  // The rename is only durable once the directory entry is.
  const int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) return ioError("cannot open the state directory", dir_);
  const int rc = ::fsync(dfd);
  ::close(dfd);
  if (rc != 0) return ioError("cannot fsync the state directory", dir_);
  return {};
}

void Store::quarantine() const {
  ::rename(path_.c_str(), (path_ + ".corrupt").c_str());
}

}  // namespace keelson::checkpoint
