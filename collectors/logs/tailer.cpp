#include "collectors/logs/tailer.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <unordered_set>

#include "collectors/common/string_hash.h"
#include "collectors/common/wall_clock.h"
#include "collectors/logroot/names.h"
#include "collectors/logs/copy_match.h"
#include "collectors/logs/pod_labels.h"
#include "collectors/logs/resume_check.h"
#include "collectors/logs/rotation.h"
#include "collectors/logs/safe_open.h"
#include "collectors/logs/scan.h"
#include "collectors/logs/tracked_file.h"
#include "collectors/logs/watch.h"

namespace keelson::logs {

bool NamespaceFilter::allows(std::string_view name) const {
  return !selected(exclude, name) && (include.empty() || selected(include, name));
}

std::string_view releaseReasonName(ReleaseReason r) {
  switch (r) {
    case ReleaseReason::Deleted:
      return "Deleted";
    case ReleaseReason::HoldExpired:
      return "HoldExpired";
    case ReleaseReason::Truncated:
      return "Truncated";
    case ReleaseReason::Excluded:
      return "Excluded";
  }
  return "Unknown";
}

class Tailer::Impl final : public AssembledSink, private ScanVisitor {
 public:
  Impl(TailerConfig config, const Clock& clock)
      : config_(std::move(config)), clock_(clock), watcher_(config_.use_inotify) {}

  Status init(std::vector<ResumePoint> resume) {
    auto root = openRoot(config_.log_root);
    if (!root) return fail(root.error());
    root_ = std::move(*root);
    for (const auto& rule : config_.multiline) {
      auto compiled = CompiledMultilineRule::compile(rule);
      if (!compiled) return fail(compiled.error());
      rules_.push_back(std::move(*compiled));
    }
    for (auto& r : resume) {
      // The entry's own consistency, whatever file is found: a bad entry never places a file
      // (not even a copytruncate copy).
      ResumeFacts facts;
      facts.fingerprint_length = r.fingerprint.length;
      facts.restart_offset = r.restart_offset;
      facts.end_offset = r.end_offset;
      facts.file_size = r.restart_offset;
      facts.fingerprint_matches = true;
      facts.byte_before_restart = '\n';
      if (const auto check = checkResumePoint(facts); isRefused(check)) {
        refuseCheckpoint(r, r.path, check);
        continue;
      }
      resume_.push_back(std::move(r));
    }
    if (config_.read_chunk_bytes < 4096) config_.read_chunk_bytes = 4096;
    chunk_bytes_ = config_.read_chunk_bytes;
    chunk_.resize(chunk_bytes_ + TrackedFile::kTailMaxBytes);  // room for a look's tail in front
    line_limit_ = config_.max_record_bytes * 2 + 4096;
    NullSink null;
    rescan(null);
    first_scan_ = false;
    return {};
  }

  // --- AssembledSink: encode and deliver (or queue over budget) one record of current_. ---
  void onAssembled(const AssembledRecord& r) override {
    TrackedFile& f = *current_;
    if (f.offsets.shipped(r.end_offset)) return;
    PendingRecord p;
    json_.clear();
    // A record a processing rule drops is still handed on (no JSON, kRecordDropped): its offsets
    // are completed like a delivered record's, so nothing is read again.
    std::uint32_t flags = r.flags;
    if (!f.encoder.encode(json_, r.time, r.stream, r.log, r.flags, r.error))
      flags |= kRecordDropped;
    if (r.flags & kRecordTruncated) ++counters_.records_truncated;
    f.offsets.emitted_end = r.end_offset;
    f.offsets.emitted_restart = r.restart_offset;
    if (f.pending.empty() && (emitted_ == 0 || emitted_ + json_.size() <= budget_)) {
      deliver(f, json_, r.end_offset, r.restart_offset, flags);
      return;
    }
    stop_ = true;
    f.pending.push_back(PendingRecord{json_, r.end_offset, r.restart_offset, flags});
  }

  void deliver(TrackedFile& f, std::string_view json, std::uint64_t end, std::uint64_t restart,
               std::uint32_t flags) {
    Record rec;
    rec.serial = f.serial;
    rec.file = f.id;
    rec.fingerprint = f.fingerprint;
    rec.path = f.path;
    rec.pod = &f.encoder.metadata();
    rec.end_offset = end;
    rec.restart_offset = restart;
    rec.json = json;
    rec.flags = flags;
    rec.start = f.offsets.start;
    emitted_ += json.size();
    ++counters_.records_emitted;
    sink_->onRecord(rec);
  }

  // Delivers queued records while the budget allows; false if some remain.
  bool drainPending(TrackedFile& f) {
    while (!f.pending.empty()) {
      auto& p = f.pending.front();
      if (emitted_ != 0 && emitted_ + p.json.size() > budget_) return false;
      deliver(f, p.json, p.end_offset, p.restart_offset, p.flags);
      f.pending.pop_front();
    }
    return true;
  }

  std::size_t poll(std::size_t max_bytes, RecordSink& sink) {
    sink_ = &sink;
    budget_ = max_bytes;
    emitted_ = 0;
    stop_ = false;
    backlog_ = false;
    paused_backlog_ = false;
    const Instant now = clock_.now();
    // A rotated file found empty (copytruncate's copy is created before it is filled) is compared
    // with the live file before anyone is served: once the live file's truncation was seen, the
    // copy is complete, and recognising it now gives it the truncated instance's age, so the new
    // live instance waits for it. Served round-robin, the new instance could otherwise emit its
    // first lines before the copy's last ones.
    for (auto& fp : files_) {
      if (fp->phase() == Phase::Unclassified && !recogniseCopy(*fp)) {
        fp->at_end = true;  // still empty: looked at again when it is written
      }
    }
    groupSiblings();
    bool progress = true;
    while (progress && !stop_ && !files_.empty()) {
      progress = false;
      bool skipped = false;
      const std::size_t n = files_.size();
      for (std::size_t k = 0; k < n && !stop_; ++k) {
        TrackedFile& f = *files_[(cursor_ + k) % n];
        if (f.released() || f.phase() == Phase::DormantCopy) continue;
        if (isPaused(f)) {
          paused_backlog_ = paused_backlog_ || f.hasUnread();
          continue;
        }
        if (isHeld(f)) continue;
        if (f.phase() == Phase::Unclassified && !recogniseCopy(f)) {
          f.at_end = true;  // still empty: looked at again when it is written
          continue;
        }
        if (f.phase() == Phase::DormantCopy) continue;
        if (waitsForOlder(f)) {
          skipped = true;
          continue;
        }
        if (!drainPending(f)) {
          stop_ = true;
          cursor_ = (cursor_ + k) % n;
          break;
        }
        if (f.at_end) continue;
        if (waitsForLink(f, now)) continue;  // nextWakeup() includes the deadline
        if (n > 1) files_[(cursor_ + k + 1) % n]->prefetchForRead();
        current_ = &f;
        const std::size_t got = readChunk(f, now);
        current_ = nullptr;
        if (got > 0) progress = true;
        // A file created or renamed in while this call reads may be deleted again before the
        // caller's next handleEvents (a storm of rotations deletes rotated files within tens of
        // milliseconds): look at inotify between chunks, and when a directory changed, end the
        // call early so that the next handleEvents opens the new file first. One read(2) that
        // finds nothing when no event is queued.
        // Small reads (a live file's last writes) cannot make a poll long: there, inotify is read
        // every kSmallReadsPerDrain files, not after each one (a read(2) per file per turn).
        constexpr std::size_t kSmallReadsPerDrain = 32;
        if (!stop_ && watcher_.fd() >= 0 &&
            (got == chunk_bytes_ || ++small_reads_ >= kSmallReadsPerDrain)) {
          small_reads_ = 0;
          drainInotify(now);
          if (rescan_requested_) stop_ = true;
        }
        if (stop_) {
          cursor_ = (cursor_ + k + 1) % n;  // the next call starts with the next file
          break;
        }
        if (got == 0 && f.state() == FileState::Deleted && f.pending.empty()) {
          release(f, ReleaseReason::Deleted, now);
        }
      }
      // A file skipped behind an older instance that has since reached its end gets another round.
      if (!progress && skipped && !stop_) {
        for (const auto& fp : files_) {
          if (!fp->released() && fp->phase() != Phase::DormantCopy && !isPaused(*fp) &&
              !isHeld(*fp) && fp->hasUnread() && !waitsForOlder(*fp))
            progress = true;
        }
      }
    }
    settleLooks(now);
    // A truncation this poll noticed asks for a rescan before its new instance is read: at once.
    backlog_ = stop_ || rescan_requested_;
    sweep();
    sink_ = nullptr;
    return emitted_;
  }

  void handleEvents(RecordSink& sink) {
    sink_ = &sink;
    budget_ = std::numeric_limits<std::size_t>::max();
    emitted_ = 0;
    stop_ = false;
    const Instant now = clock_.now();
    while (!truncated_.empty() && now >= truncated_.front().at + config_.deleted_hold_time)
      truncated_.erase(truncated_.begin());
    drainInotify(now);
    if (rescan_requested_ || now >= last_rescan_ + periodicRescan()) {
      rescan(sink);
      // A truncation first noticed by that scan's last pass asked for another: its walk may have
      // listed the directory before the copy was made (see restartInstance).
      if (rescan_requested_) rescan(sink);
    }
    // Multiline records past their flush timeout, deleted files read to their end or held too long:
    // with no multiline rule and no deleted file, nothing to look at in each file at each turn.
    if (!rules_.empty() || deleted_files_) {
      bool deleted = false;
      for (auto& fp : files_) {
        TrackedFile& f = *fp;
        if (f.released()) continue;
        current_ = &f;
        if (!rules_.empty() && f.pending.empty()) f.assembler.flushExpired(now, *this);
        if (f.state() == FileState::Deleted) {
          if (f.at_end && f.pending.empty() && f.offsets.read_offset >= f.size) {
            release(f, ReleaseReason::Deleted, now);
          } else if (now >= f.deleted_at + config_.deleted_hold_time) {
            release(f, ReleaseReason::HoldExpired, now);
          }
          deleted = deleted || !f.released();
        }
        current_ = nullptr;
      }
      if (added_.empty()) deleted_files_ = deleted;  // added_: looked at by the next call
    }
    sweep();
    pruneGonePods();
    turnBusyDirectories(now);
    sink_ = nullptr;
  }

  void flushMultiline(RecordSink& sink) {
    if (rules_.empty()) return;  // no file has a multiline rule (ruleFor)
    sink_ = &sink;
    budget_ = std::numeric_limits<std::size_t>::max();
    emitted_ = 0;
    for (auto& f : files_) {
      if (f->released() || !f->pending.empty()) continue;
      current_ = f.get();
      f->assembler.flushMultilineNow(*this);
    }
    current_ = nullptr;
    sink_ = nullptr;
  }

  Instant nextWakeup() const {
    if (rescan_requested_) return last_rescan_;  // due now
    Instant next = last_rescan_ + periodicRescan();
    if (counters_.busy_directories > 0)
      next = std::min(next, last_busy_poll_ + config_.busy_poll_interval);
    for (const auto& f : files_) {
      if (!rules_.empty()) {
        if (auto d = f->assembler.nextDeadline(); d && *d < next) next = *d;
      }
      if (f->state() == FileState::Deleted)
        next = std::min(next, f->deleted_at + config_.deleted_hold_time);
      if (!f->released() && f->link_wait_until != Instant{} && f->state() == FileState::Live &&
          f->encoder.metadata().container_id.empty())
        next = std::min(next, f->link_wait_until);
    }
    return next;
  }

  int eventFd() const { return watcher_.fd(); }

  // TailerConfig::rescan_interval / watched_rescan_interval.
  Duration periodicRescan() const {
    return watcher_.watchesAll() && scan_complete_ ? config_.watched_rescan_interval
                                                   : config_.rescan_interval;
  }

  void setBusyPollInterval(Duration interval) { config_.busy_poll_interval = interval; }
  bool hasBacklog() const { return backlog_; }
  bool hasPausedBacklog() const { return paused_backlog_; }

  void setPodPaused(std::string_view uid, bool paused) {
    if (paused) {
      paused_.insert(std::string(uid));
    } else if (const auto it = paused_.find(uid); it != paused_.end()) {
      paused_.erase(it);
    }
  }

  // What a file's records carry of the API's metadata for its pod.
  static void applyPodMetadata(PodMetadata& m, const FilteredMetadata& fm) {
    m.labels = fm.labels;
    m.annotations = fm.annotations;
    const auto image = fm.images.find(m.container_name);
    m.container_image = image == fm.images.end() ? std::string() : image->second.image;
    m.container_hash = image == fm.images.end() ? std::string() : image->second.image_id;
  }

  void setPodLabels(std::string_view uid, const std::map<std::string, std::string>& labels,
                    const std::map<std::string, std::string>& annotations,
                    const std::map<std::string, ContainerImage>& images) {
    const FilteredMetadata* fm =
        pod_labels_.update(uid, labels, annotations, config_.metadata, images);
    counters_.pod_label_entries = pod_labels_.size();
    if (fm == nullptr) return;  // the same maps as last time
    countOmitted(kOmittedNotSelected, fm->not_selected);
    countOmitted(kOmittedValueTooLarge, fm->value_too_large);
    countOmitted(kOmittedMetadataBudget, fm->over_budget);
    for (auto* list : {&files_, &added_}) {
      for (auto& f : *list) {
        if (f->encoder.metadata().pod_uid != uid) continue;
        PodMetadata m = f->encoder.metadata();
        applyPodMetadata(m, *fm);
        if (m == f->encoder.metadata()) continue;
        f->encoder.setMetadata(std::move(m));
      }
    }
  }

  void countOmitted(std::string_view reason, std::uint64_t n) {
    if (n == 0) return;
    auto it = counters_.metadata_omitted.find(reason);
    if (it == counters_.metadata_omitted.end()) {
      counters_.metadata_omitted.emplace(std::string(reason), n);
    } else {
      it->second += n;
    }
  }

  void setSelection(NamespaceFilter namespaces, NamespaceFilter pods, NamespaceFilter containers,
                    std::vector<MultilineRule> multiline,
                    std::shared_ptr<const processing::Processing> processing) {
    config_.namespaces = std::move(namespaces);
    config_.pods = std::move(pods);
    config_.containers = std::move(containers);
    config_.multiline = std::move(multiline);
    config_.processing = std::move(processing);
    for (auto* list : {&files_, &added_}) {
      for (auto& f : *list)
        f->encoder.setProcessing(config_.processing);
    }
    // Paths refused for the old selection are looked at again (a refusal still counts once per
    // selection).
    refused_.clear();
    rescan_requested_ = true;
  }

  void setPodGone(std::string_view uid) {
    if (pod_labels_.markGone(uid)) pruneGonePods();
  }

  void setPodExcluded(std::string_view uid, bool excluded, RecordSink& sink,
                      std::string_view reason) {
    const std::string key(uid);
    if (!excluded) {
      if (excluded_.erase(key) > 0) {
        from_end_.insert(key);
        rescan_requested_ = true;
      }
      return;
    }
    if (!excluded_.emplace(key, std::string(reason)).second) return;
    sink_ = &sink;
    const Instant now = clock_.now();
    for (auto& f : files_) {
      if (f->released() || f->encoder.metadata().pod_uid != uid) continue;
      refuse(f->path, reason);
      release(*f, ReleaseReason::Excluded, now);
    }
    sweep();
    sink_ = nullptr;
  }

  void setHoldUnlabelledPods(bool hold) { config_.hold_unlabelled_pods = hold; }

  std::vector<FileStatus> files() const {
    std::vector<FileStatus> out;
    for (const auto& f : files_) {
      FileStatus s;
      s.serial = f->serial;
      s.file = f->id;
      s.fingerprint = f->fingerprint;
      s.path = f->path;
      s.pod = f->encoder.metadata();
      s.format = f->format;
      s.state = f->state();
      s.size = f->size;
      s.read_offset = f->offsets.read_offset;
      s.emitted_end_offset = f->offsets.emitted_end;
      s.start = f->offsets.start;
      out.push_back(std::move(s));
    }
    return out;
  }

  const TailerCounters& counters() const { return counters_; }

  std::uint64_t lagBytes() const {
    std::uint64_t lag = 0;
    for (const auto& f : files_) {
      if (f->phase() == Phase::DormantCopy) continue;  // a copy holds nothing unread yet
      lag += f->size > f->offsets.read_offset ? f->size - f->offsets.read_offset : 0;
    }
    return lag;
  }

 private:
  class NullSink final : public RecordSink {
   public:
    void onRecord(const Record&) override {}
  };

  // ---------------------------------------------------------------- ordering

  bool isPaused(const TrackedFile& f) const {
    return !paused_.empty() && paused_.contains(f.encoder.metadata().pod_uid);
  }

  // setHoldUnlabelledPods: the API has said nothing of the file's pod yet.
  bool isHeld(const TrackedFile& f) const {
    return config_.hold_unlabelled_pods &&
           pod_labels_.find(f.encoder.metadata().pod_uid) == nullptr;
  }

  // Whether `g` is an older instance of the same container than `f` (TrackedFile::Age).
  // A dormant copy, or one not yet compared with the live file, is not one.
  static bool olderInstance(const TrackedFile& g, const TrackedFile& f) {
    return &g != &f && g.phase() == Phase::Reading && olderAge(g.age, f.age);
  }

  // One container's lines must leave in order across a rotation: a file waits while an older
  // instance in its directory has unread bytes. Other files are not affected, so this only delays
  // the one container.
  static bool waitsForOlder(const TrackedFile& f) {
    if (f.siblings == nullptr) return false;
    for (const TrackedFile* g : *f.siblings) {
      if (olderInstance(*g, f) && g->hasUnread()) return true;
    }
    return false;
  }

  // The files of each directory (siblings, and drainInotify's index), rebuilt only when the set of
  // files changed (groups_dirty_): not at every turn of an agent following 500 files.
  void groupSiblings() {
    if (!groups_dirty_) return;
    groups_dirty_ = false;
    ++groups_generation_;
    by_dir_.clear();
    for (auto& fp : files_) {
      fp->siblings = nullptr;
      if (!fp->released()) by_dir_[fp->dir].push_back(fp.get());
    }
    for (auto& [dir, group] : by_dir_) {
      if (group.size() < 2) continue;
      for (TrackedFile* f : group)
        f->siblings = &group;
    }
  }

  // ---------------------------------------------------------------- reading

  // Reads the next chunk of `f`. When a write left a look due and the bytes before the read
  // offset are known from the start of their line (TrackedFile::tail), they are read again in
  // front of the new bytes, in the same pread, and compared: unchanged (a container runtime's line
  // starts with its nanosecond timestamp), the file was only appended to, and the look needs
  // neither fstat nor a pread of the head, two of the three system calls per written file per turn
  // when following 500 live files. Shorter than the read offset or changed, or no tail known: the
  // full look (fstat and the head) decides, as at a rescan.
  std::size_t readChunk(TrackedFile& f, Instant now) {
    std::size_t window = 0;
    if (f.look_due) {
      if (f.tailKnown()) {
        f.look_due = false;
        window = f.offsets.read_offset == 0 ? 0 : f.tail.size();
      } else if (!fullLook(f, now)) {
        return 0;
      }
    }
    const std::uint64_t base = f.offsets.read_offset;
    ssize_t n;
    do {
      n = ::pread(f.fd.get(), chunk_.data(), window + chunk_bytes_,
                  static_cast<off_t>(base - window));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      ++counters_.read_errors;
      f.at_end = true;
      return 0;
    }
    if (window > 0 && (static_cast<std::size_t>(n) < window ||
                       std::memcmp(chunk_.data(), f.tail.data(), window) != 0)) {
      f.tail_end = TrackedFile::kNoTail;  // what was read there is no longer the file's
      if (!fullLook(f, now)) return 0;
      return readChunk(f, now);  // the look is made: a plain read
    }
    const auto len = static_cast<std::size_t>(n) - window;
    if (len == 0) {
      f.at_end = true;
      return 0;
    }
    const char* data = chunk_.data() + window;
    f.read_since_poll = true;
    f.offsets.read_offset += len;
    f.size = std::max(f.size, f.offsets.read_offset);
    f.at_end = len < chunk_bytes_;
    if (window > 0 && !f.at_end) {
      // Behind (a full chunk): the size, as the full look would have found it, for the lag.
      struct stat st {};
      if (::fstat(f.fd.get(), &st) == 0)
        f.size = std::max(f.size, static_cast<std::uint64_t>(st.st_size));
    }
    if (f.fingerprint.length < kFingerprintMaxBytes) refingerprint(f);
    const std::uint64_t new_bytes = f.offsets.newBytesSince(base);
    f.ns->bytes_read += new_bytes;

    const std::size_t pos =
        splitLines(std::string_view(data, len), base, f.carry, line_limit_,
                   [&](std::string_view line, std::uint64_t start, std::uint64_t end, bool cut) {
                     processLine(f, line, start, end, cut, now);
                     return !stop_;
                   });
    if (pos < len) {
      // Stopped on the budget: the rest of the chunk is read again next time.
      f.offsets.read_offset = base + pos;
      f.at_end = false;
    }
    f.keepTail(std::string_view(data, static_cast<std::size_t>(f.offsets.read_offset - base)),
               base);
    return len;
  }

  void processLine(TrackedFile& f, std::string_view line, std::uint64_t start, std::uint64_t end,
                   bool cut, Instant now) {
    const bool fresh = !f.offsets.shipped(end);
    if (f.format == LogFormat::Unknown) {
      f.format = detectFormat(line);
      if (f.format == LogFormat::Unknown) f.format = LogFormat::Cri;
    }
    const ParsedLine parsed = cut && f.format == LogFormat::DockerJson
                                  ? parseDockerJsonCut(line, f.carry.tail, scratch_)
                                  : parseLine(f.format, line, scratch_);
    if (fresh) {
      ++f.ns->lines_read;
      if (parsed.error != ParseError::None)
        ++counters_.parse_errors[static_cast<int>(parsed.error)];
    }
    f.assembler.push(parsed, start, end, cut, now, *this);
  }

  void refingerprint(TrackedFile& f) {
    const std::uint64_t want = std::min<std::uint64_t>(kFingerprintMaxBytes, f.offsets.read_offset);
    if (want <= f.fingerprint.length) return;
    char buf[kFingerprintMaxBytes];
    const ssize_t n = ::pread(f.fd.get(), buf, want, 0);
    if (n > 0) f.fingerprint = fingerprintOf(std::string_view(buf, static_cast<std::size_t>(n)));
    if (n > 0 && !f.rotated() && static_cast<std::size_t>(n) > f.head.size()) {
      f.head.assign(buf, static_cast<std::size_t>(n));
      f.head_fingerprint = f.fingerprint;
    }
  }

  // Where "from the end" starts (offsets.h, lineStartIn), looking back kLineStartLookBack bytes.
  static std::uint64_t lineStartAtEnd(int fd, std::uint64_t size) {
    constexpr std::uint64_t kLineStartLookBack = 64 * 1024;
    if (size == 0) return 0;
    const std::uint64_t from = size > kLineStartLookBack ? size - kLineStartLookBack : 0;
    std::string buf(static_cast<std::size_t>(size - from), '\0');
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), static_cast<off_t>(from));
    if (n <= 0) return size;
    return lineStartIn(std::string_view(buf.data(), static_cast<std::size_t>(n)), from, size);
  }

  // The live file's head as it is now (a file just discovered, not read yet).
  static void loadHead(TrackedFile& f) {
    char buf[kFingerprintMaxBytes];
    const ssize_t n = ::pread(f.fd.get(), buf, sizeof buf, 0);
    if (n > 0) f.head.assign(buf, static_cast<std::size_t>(n));
    f.head_fingerprint = {};
  }

  // copytruncate (logrotate, docker's json-file rotation, ...) copies the live file to a rotated
  // name and truncates the live file. The copy's content up to the truncation point is what the
  // live instance held, much of which was already read and shipped: reading the copy from 0 would
  // ship it again. A new rotated file whose first bytes equal the head of a live instance in the
  // same directory (still being read, or truncated within deleted_hold_time) is that copy: it is
  // read from where the live instance stopped, so only the lines the live instance had not read
  // before its truncation come from the copy (the comparison: copy_match.h, matchLiveHead).
  // Returns false while that cannot be decided yet (the copy is empty or shorter than its first
  // line). The file leaves Unclassified when it returns true (tracked_file.h).
  bool recogniseCopy(TrackedFile& c) {
    char buf[kFingerprintMaxBytes];
    const ssize_t n = ::pread(c.fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return false;
    const std::string_view head(buf, static_cast<std::size_t>(n));
    bool undecided = false;
    for (const auto* list : {&files_, &added_}) {
      for (const auto& g : *list) {
        if (g.get() == &c || g->released() || g->rotated() || g->dir != c.dir) continue;
        const HeadMatch m = matchLiveHead(g->head, head);
        undecided |= m == HeadMatch::Undecided;
        if (m == HeadMatch::Yes) {
          c.enter(Phase::DormantCopy);
          c.copy_of = g->serial;  // the live instance is still being read: wait for its end
          ++counters_.copies_recognised;
          return true;
        }
      }
    }
    for (auto it = truncated_.begin(); it != truncated_.end(); ++it) {
      if (it->dir != c.dir) continue;
      const HeadMatch m = matchLiveHead(it->head, head);
      undecided |= m == HeadMatch::Undecided;
      if (m != HeadMatch::Yes) continue;
      continueFrom(c, it->age, it->serial, it->restart_offset, it->end_offset);
      truncated_.erase(it);
      ++counters_.copies_recognised;
      return true;
    }
    if (undecided) return false;
    c.enter(Phase::Reading);
    return true;
  }

  // After the directory walk of a scan: a file found by it, with no checkpoint of its own and not
  // read yet, may be the copytruncate copy of a checkpointed file whose inode now holds other
  // content (or is gone): the rotation happened while the agent was down. Such a copy is resumed at
  // that checkpoint instead of being read again from 0 (guards in copy_match.h). It runs after the
  // walk so that an inode still holding its checkpointed content has claimed its own checkpoint
  // first, and nothing is read during a scan, so the new file's position can still be set.
  void resumeCopies() {
    if (orphans_.empty() && (resume_.empty() || !scan_complete_)) return;
    // Checkpoints whose inode this complete scan did not find at all are candidates too.
    std::vector<std::pair<std::vector<ResumePoint>*, std::size_t>> points;
    for (std::size_t i = 0; i < orphans_.size(); ++i)
      points.emplace_back(&orphans_, i);
    if (scan_complete_) {
      for (std::size_t i = 0; i < resume_.size(); ++i)
        points.emplace_back(&resume_, i);
    }
    std::vector<std::pair<std::vector<ResumePoint>*, std::size_t>> used;
    char buf[kFingerprintMaxBytes];
    for (auto& fp : files_) {
      TrackedFile& f = *fp;
      if (f.phase() != Phase::Reading || f.age.generation != generation_ ||
          f.offsets.start.placed || f.offsets.read_offset != 0 || f.size == 0)
        continue;
      const ssize_t n = ::pread(f.fd.get(), buf, sizeof buf, 0);
      if (n <= 0) continue;
      const CopyCandidate candidate{f.dir, std::string_view(buf, static_cast<std::size_t>(n)),
                                    f.size};
      for (const auto& [list, i] : points) {
        if (std::find(used.begin(), used.end(), std::make_pair(list, i)) != used.end()) continue;
        const ResumePoint& r = (*list)[i];
        const CheckpointedFile checkpointed{r.path, r.fingerprint, r.restart_offset, r.end_offset};
        if (matchCheckpointedCopy(checkpointed, candidate) != CopyMatch::Match) continue;
        char before = '\n';
        if (r.restart_offset > 0 &&
            ::pread(f.fd.get(), &before, 1, static_cast<off_t>(r.restart_offset - 1)) != 1)
          before = 0;
        if (before != '\n') {
          // Resuming there would ship a fragment: the copy is read from 0 (duplicates).
          refuseCheckpoint(r, f.path, ResumeCheck::RefusedMidLine);
          used.emplace_back(list, i);
          break;
        }
        f.offsets.placeAt(r.restart_offset, r.end_offset);
        f.at_end = false;
        refingerprint(f);
        // Its own birth orders it among the other copies; the live file, whose inode is older, is
        // made younger than every copy by ageNewLiveFiles.
        ++counters_.copies_resumed;
        used.emplace_back(list, i);
        break;
      }
    }
    // Erase what was used, highest index first so the others stay valid.
    std::sort(used.begin(), used.end(),
              [](const auto& a, const auto& b) { return a.second > b.second; });
    for (const auto& [list, i] : used)
      list->erase(list->begin() + static_cast<std::ptrdiff_t>(i));
  }

  // A live <n>.log found by this scan holds the newest content of its family: rename rotation
  // moved every older instance to <n>.log.<ts> before creating it, and copytruncate made every
  // <n>.log.<ts> before truncating it. Its inode's birth says the first, not the second: under
  // copytruncate (while the agent was down, so no truncation was seen) the inode is older than all
  // its copies, and its new lines would leave before those of a copy not yet read. So it is at
  // least as young as its rotated siblings (equal births: rotated names first, TrackedFile::Age).
  void ageNewLiveFiles() {
    for (auto& fp : files_) {
      TrackedFile& f = *fp;
      if (f.released() || f.rotated() || f.age.generation != generation_ || f.age.birth == 0)
        continue;
      for (const auto& g : files_) {
        if (g.get() == &f || g->released() || !g->rotated() || g->dir != f.dir ||
            g->age.birth == 0 || !g->path.starts_with(f.path) || g->path.size() <= f.path.size() ||
            g->path[f.path.size()] != '.')
          continue;
        f.age.birth = std::max(f.age.birth, g->age.birth);
      }
    }
  }

  // Labels of a pod the API no longer lists stay while a file of the pod is tracked (its last lines
  // are still encoded with them) and go after, so the table is bounded by the pods that exist
  // rather than by every pod ever seen.
  void pruneGonePods() {
    if (pod_labels_.hasGone()) {
      std::set<std::string_view> tracked;
      for (const auto* list : {&files_, &added_}) {
        for (const auto& f : *list) {
          if (!f->released()) tracked.insert(f->encoder.metadata().pod_uid);
        }
      }
      pod_labels_.pruneGone(tracked);
    }
    counters_.pod_label_entries = pod_labels_.size();
  }

  // Pods whose directory a complete scan did not list and whose files are all let go: the caller
  // drops what it keeps per pod (RecordSink::onPodGone). A pod still being read (its files are
  // held open after deletion) is reported at the first scan after its last file is released.
  void notifyPodsGone(const std::set<std::string, std::less<>>& listed_uids) {
    if (pod_uids_.empty()) return;
    std::set<std::string_view> tracked;
    for (const auto* list : {&files_, &added_}) {
      for (const auto& f : *list) {
        if (!f->released()) tracked.insert(f->encoder.metadata().pod_uid);
      }
    }
    for (auto it = pod_uids_.begin(); it != pod_uids_.end();) {
      if (listed_uids.contains(*it) || tracked.contains(*it)) {
        ++it;
        continue;
      }
      const std::string uid = *it;
      it = pod_uids_.erase(it);
      if (sink_) sink_->onPodGone(uid);
    }
  }

  // Reads `c` on from a point of the instance it copies, like a resume: from the restart offset,
  // suppressing every record ending at or before end_offset.
  void continueFrom(TrackedFile& c, const TrackedFile::Age& age, std::uint64_t serial,
                    std::uint64_t restart_offset, std::uint64_t end_offset) {
    c.age = age;  // the copy stands for the truncated instance
    c.enter(Phase::Reading);
    c.copy_of = 0;
    c.offsets.placeAt(restart_offset, end_offset, serial);
    c.carry.clear();
    c.at_end = false;
    // A copy with nothing left to read is checkpointed at its start (the pipeline): its
    // fingerprint must cover what precedes that point, or a reused inode would pass for it.
    refingerprint(c);
  }

  // An empty fingerprint matches nothing: it would match every file.
  bool fingerprintMatches(int fd, const Fingerprint& want) {
    if (want.length == 0) return false;
    if (want.length > kFingerprintMaxBytes) return false;
    char buf[kFingerprintMaxBytes];
    const ssize_t n = ::pread(fd, buf, want.length, 0);
    if (n != static_cast<ssize_t>(want.length)) return false;
    return fingerprintOf(std::string_view(buf, want.length)) == want;
  }

  // Whether the file's first bytes are still those its fingerprint was taken on, as a live look at
  // every written file asks (has a copytruncate rewritten the head past the read offset since the
  // last look?). When the bytes hashed are at hand (`head`, from the same read), the first
  // kLiveHeadCheckBytes of them are compared as they are: a short pread and a memcmp instead of
  // reading and hashing up to 1 KiB a byte at a time, which was a fifth of the agent's CPU when
  // following 500 files. 256 bytes hold a CRI file's first line whole, the runtime's nanosecond
  // timestamp first, so a rewritten head that matches them is a file that was not rewritten.
  // Resuming from a checkpoint still checks the whole fingerprint (resumeFacts).
  bool headMatches(const TrackedFile& f) {
    constexpr std::size_t kLiveHeadCheckBytes = 256;
    const Fingerprint& want = f.fingerprint;
    if (f.head_fingerprint != want || f.head.size() != want.length) {
      return fingerprintMatches(f.fd.get(), want);
    }
    const std::size_t len = std::min<std::size_t>(want.length, kLiveHeadCheckBytes);
    char buf[kLiveHeadCheckBytes];
    const ssize_t n = ::pread(f.fd.get(), buf, len, 0);
    return n == static_cast<ssize_t>(len) && std::memcmp(buf, f.head.data(), len) == 0;
  }

  // What checkResumePoint needs to know about the file found under a checkpoint's inode.
  ResumeFacts resumeFacts(int fd, const ResumePoint& r, std::uint64_t size) {
    ResumeFacts facts;
    facts.fingerprint_length = r.fingerprint.length;
    facts.restart_offset = r.restart_offset;
    facts.end_offset = r.end_offset;
    facts.file_size = size;
    facts.fingerprint_matches = fingerprintMatches(fd, r.fingerprint);
    char before = 0;
    if (r.restart_offset > 0 && r.restart_offset <= size &&
        ::pread(fd, &before, 1, static_cast<off_t>(r.restart_offset - 1)) == 1)
      facts.byte_before_restart = before;
    return facts;
  }

  // A bad checkpoint entry: its file is read from 0 with nothing suppressed (duplicates rather
  // than a fragment or a gap); counted by reason and reported once (the entry is used up).
  void refuseCheckpoint(const ResumePoint& r, const std::string& rel, ResumeCheck check) {
    const std::string_view reason = resumeCheckReason(check);
    auto it = counters_.checkpoints_refused.find(reason);
    if (it == counters_.checkpoints_refused.end()) {
      counters_.checkpoints_refused.emplace(std::string(reason), 1);
    } else {
      ++it->second;
    }
    if (config_.warn) {
      config_.warn("checkpoint of " + rel + " (inode " + std::to_string(r.file.inode) +
                   ", restart_offset " + std::to_string(r.restart_offset) + ", end_offset " +
                   std::to_string(r.end_offset) + ", fingerprint_length " +
                   std::to_string(r.fingerprint.length) + ") refused (" + std::string(reason) +
                   "): the file is read again from its start");
    }
  }

  // ---------------------------------------------------------------- lifecycle

  void release(TrackedFile& f, ReleaseReason reason, Instant now) {
    if (f.released()) return;
    TrackedFile* saved = current_;
    current_ = &f;
    const auto saved_budget = budget_;
    budget_ = std::numeric_limits<std::size_t>::max();
    drainPending(f);
    std::uint64_t abandoned = 0;
    if (reason == ReleaseReason::HoldExpired) {
      abandoned = f.size > f.offsets.read_offset ? f.size - f.offsets.read_offset : 0;
      counters_.bytes_abandoned += abandoned;
    }
    std::vector<TrackedFile*> copies;
    for (const auto* list : {&files_, &added_}) {
      for (const auto& g : *list) {
        if (g->phase() == Phase::DormantCopy && g->copy_of == f.serial) copies.push_back(g.get());
      }
    }
    // Truncated with a copy: the unfinished last line and open groups are re-read whole from the
    // copy. Otherwise a last line without '\n' in an instance that will never grow again is still a
    // line.
    if (reason != ReleaseReason::Truncated || copies.empty()) {
      if (!f.carry.empty())
        processLine(f, f.carry.bytes, f.carry.offset, f.offsets.read_offset, f.carry.discarding,
                    now);
      f.assembler.flushAll(*this);
    }
    f.carry.clear();
    drainPending(f);
    for (TrackedFile* c : copies)
      continueFrom(*c, f.age, f.serial, f.offsets.emitted_restart, f.offsets.emitted_end);
    if (reason == ReleaseReason::Truncated && copies.empty() && !f.rotated() && !f.head.empty()) {
      // The copy may be found later (it is usually created before the truncation is noticed).
      if (truncated_.size() >= kMaxTruncatedKept) truncated_.erase(truncated_.begin());
      truncated_.push_back(TruncatedInstance{
          f.dir, f.head, f.age, f.serial, f.offsets.emitted_restart, f.offsets.emitted_end, now});
    }
    budget_ = saved_budget;
    current_ = saved;
    f.enter(Phase::Released);
    FileReleased r;
    r.serial = f.serial;
    r.file = f.id;
    r.path = f.path;
    r.reason = reason;
    r.read_offset = f.offsets.read_offset;
    r.bytes_abandoned = abandoned;
    if (sink_) sink_->onFileReleased(r);
  }

  void sweep() {
    std::size_t removed_before_cursor = 0;
    for (std::size_t i = 0; i < files_.size() && i < cursor_; ++i) {
      if (files_[i]->released()) ++removed_before_cursor;
    }
    const std::size_t before = files_.size();
    files_.erase(
        std::remove_if(files_.begin(), files_.end(),
                       [](const std::unique_ptr<TrackedFile>& f) { return f->released(); }),
        files_.end());
    if (files_.size() != before || !added_.empty()) groups_dirty_ = true;
    for (auto& f : added_)
      files_.push_back(std::move(f));
    added_.clear();
    cursor_ -= removed_before_cursor;
    if (cursor_ >= files_.size()) cursor_ = 0;
    counters_.files_open = files_.size();
  }

  // Per-namespace counters live while a file of the namespace is tracked (each file points at its
  // namespace's entry) and go a rescan_interval after the last one, so they are bounded by the
  // namespaces that have files rather than every namespace ever seen (the pipeline prunes its
  // delivered series the same way, LogMetrics::pruneNamespaces). The delay lets the caller's
  // metric sync (every 250 ms) see the last lines counted: a short-lived pod is read and let go
  // within one call. A namespace that comes back after that counts again from 0.
  void pruneNamespaceCounters(Instant now) {
    std::set<const NamespaceCounters*> in_use;
    for (const auto& f : files_)
      in_use.insert(f->ns);
    std::erase_if(counters_.by_namespace, [&](const auto& entry) {
      const auto& [ns, counters] = entry;
      if (in_use.contains(&counters)) {
        ns_idle_since_.erase(ns);
        return false;
      }
      const auto [it, first] = ns_idle_since_.try_emplace(ns, now);
      if (first || now - it->second < config_.rescan_interval) return false;
      ns_idle_since_.erase(it);
      return true;
    });
  }

  // ---------------------------------------------------------------- discovery

  void refuse(const std::string& path, std::string_view reason) {
    if (refused_.insert(path).second) {
      auto it = counters_.paths_refused.find(reason);
      if (it == counters_.paths_refused.end()) {
        counters_.paths_refused.emplace(std::string(reason), 1);
      } else {
        ++it->second;
      }
    }
  }

  // A refused path is counted once, so it is remembered; once its pod directory is gone it cannot
  // be met again and is forgotten, or the set would grow with every pod ever refused (pod churn
  // with excluded pods or planted symlinks).
  void forgetRefusedOutside(const std::set<std::string, std::less<>>& pod_dirs) {
    for (auto it = refused_.begin(); it != refused_.end();) {
      const std::string_view path = *it;
      if (path.starts_with("pods/")) {
        const std::string_view rest = path.substr(5);
        if (!pod_dirs.contains(rest.substr(0, rest.find('/')))) {
          it = refused_.erase(it);
          continue;
        }
      }
      ++it;
    }
  }

  // --- ScanVisitor: what the walk (scan.h) found. ---
  void onDirectory(int dir_fd, const std::string& rel) override { watcher_.add(dir_fd, rel); }
  void onRefused(const std::string& rel, std::string_view reason) override { refuse(rel, reason); }
  void onIncomplete() override { scan_complete_ = false; }
  void onFile(const std::string& rel, const std::string& dir_rel,
              const logroot::PodLogPath& where) override {
    if (const auto it = excluded_.find(where.pod.pod_uid); it != excluded_.end()) {
      refuse(rel, it->second);
      return;
    }
    consider(rel, dir_rel, where, scan_now_);
  }

  void drainInotify(Instant now) {
    const WatchEvents events = watcher_.drain();
    if (events.rescan) rescan_requested_ = true;
    if (events.written_dirs.empty()) return;
    if (config_.busy_poll_interval > Duration::zero()) {
      for (const std::string_view dir : events.written_dirs)
        noteWritten(dir, now);
    }
    // A write may also be a copytruncate's truncation: each written file is looked at before its
    // next bytes are read, by that read itself (readChunk), or at the end of the poll that does not
    // read it (settleLooks).
    if (!groups_dirty_) {
      // The files of the written directories only (by_dir_ lists every file of files_ that was
      // not released when it was made; a look may release or restart one, never regroup).
      for (const std::string_view dir : events.written_dirs) {
        const auto it = by_dir_.find(dir);
        if (it == by_dir_.end()) continue;
        for (TrackedFile* f : it->second) {
          if (!f->released()) markLookDue(*f);
        }
      }
      return;
    }
    const std::unordered_set<std::string_view> written(events.written_dirs.begin(),
                                                       events.written_dirs.end());
    for (auto& f : files_) {
      if (!f->released() && written.contains(f->dir)) markLookDue(*f);
    }
  }

  // ------------------------------------------------------------ busy directories
  //
  // A container directory written in each of kBusyAfterSlots consecutive busy_poll_interval slots
  // of time is busy: its watch stops reporting writes (DirWatcher::reportWrites) and its files
  // are looked at, and read, at every turn instead, a turn coming every busy_poll_interval at the
  // latest (nextWakeup). Following 500 files written 100 times a second, reading those events
  // (one per write: the kernel merges only a repeat of the last queued one) was ~16 % of the
  // agent's CPU, though every turn read every file anyway. Slots of time, not turns: a turn ends
  // early on the budget, and the next one sees only the writes of a few milliseconds. A busy
  // directory that no turn read anything from for kQuietAfterSlots slots reports its writes
  // again, and its files get one more look (a write made before the change is read by it, one
  // after it is reported).
  struct DirActivity {
    std::int64_t last_written_slot = 0;
    std::uint32_t written_slots = 0;  // in a row, up to last_written_slot
    Instant last_read{};              // busy: the last turn that read bytes from it
    bool busy = false;
    // Its files in by_dir_ as of groups_generation_ `files_generation` (filesOf).
    std::vector<TrackedFile*>* files = nullptr;
    std::uint64_t files_generation = 0;
  };

  // The files of `dir` (by_dir_; nullptr: none), remembered in its activity until by_dir_ is
  // rebuilt: the path hashed once per directory and rebuild, not at every turn.
  std::vector<TrackedFile*>* filesOf(std::string_view dir, DirActivity& a) {
    if (a.files_generation != groups_generation_) {
      const auto it = by_dir_.find(dir);
      a.files = it == by_dir_.end() ? nullptr : &it->second;
      a.files_generation = groups_generation_;
    }
    return a.files;
  }
  static constexpr std::uint32_t kBusyAfterSlots = 3;
  static constexpr std::int64_t kQuietAfterSlots = 3;

  std::int64_t slotOf(Instant now) const {
    return now.time_since_epoch() / config_.busy_poll_interval;
  }

  void noteWritten(std::string_view dir, Instant now) {
    auto it = activity_.find(dir);
    if (it == activity_.end()) it = activity_.emplace(std::string(dir), DirActivity{}).first;
    DirActivity& a = it->second;
    const std::int64_t slot = slotOf(now);
    if (a.written_slots > 0 && a.last_written_slot == slot) return;
    a.written_slots =
        a.written_slots > 0 && a.last_written_slot + 1 == slot ? a.written_slots + 1 : 1;
    a.last_written_slot = slot;
  }

  // At the end of each turn's handleEvents: directories become busy or quiet; the files of the
  // busy ones are due for a look (the poll that follows reads them).
  void turnBusyDirectories(Instant now) {
    if (activity_.empty()) return;
    groupSiblings();
    const bool enabled = config_.busy_poll_interval > Duration::zero();
    const std::int64_t slot = enabled ? slotOf(now) : 0;
    // Busy files are read once per interval, not at every turn: a turn that ended on the budget
    // is followed at once by another, which would read them again for nothing.
    const bool poll_busy = !enabled || now >= last_busy_poll_ + config_.busy_poll_interval;
    if (poll_busy) last_busy_poll_ = now;
    for (auto it = activity_.begin(); it != activity_.end();) {
      DirActivity& a = it->second;
      if (a.busy && !poll_busy) {
        ++it;
        continue;
      }
      std::vector<TrackedFile*>* const files = filesOf(it->first, a);
      if (!a.busy) {
        if (!enabled || files == nullptr || a.last_written_slot + 1 < slot) {
          it = activity_.erase(it);  // no write in this slot or the last: forgotten
          continue;
        }
        if (a.written_slots >= kBusyAfterSlots &&
            watcher_.reportWrites(root_.get(), it->first, false)) {
          a.busy = true;
          a.last_read = now;
          ++counters_.busy_directories;
          lookAtAll(*files);
        }
        ++it;
        continue;
      }
      bool read = false;
      if (files != nullptr) {
        for (TrackedFile* f : *files) {
          read = read || f->read_since_poll;
          f->read_since_poll = false;
        }
      }
      if (read) a.last_read = now;
      if (files == nullptr || !enabled ||
          now - a.last_read >= kQuietAfterSlots * config_.busy_poll_interval) {
        if (!watcher_.reportWrites(root_.get(), it->first, true)) {
          if (files != nullptr) lookAtAll(*files);  // still busy (kernel refused)
          ++it;
          continue;
        }
        --counters_.busy_directories;
        if (files != nullptr) lookAtAll(*files);  // the last look
        it = activity_.erase(it);
        continue;
      }
      lookAtAll(*files);
      ++it;
    }
  }

  void markLookDue(TrackedFile& f) {
    f.at_end = false;
    f.look_due = true;
    looks_due_ = true;
  }

  void lookAtAll(const std::vector<TrackedFile*>& files) {
    for (TrackedFile* f : files) {
      if (!f->released()) markLookDue(*f);
    }
  }

  // The look at a written file through its descriptor: its size (below the read offset: truncated)
  // and its first bytes (rewritten past the read offset by a copytruncate?). False when the look
  // ended the instance (a truncation restarts it, and a rescan comes before anything more is read:
  // the poll stops).
  bool fullLook(TrackedFile& f, Instant now) {
    f.look_due = false;
    f.at_end = false;
    struct stat st {};
    if (::fstat(f.fd.get(), &st) != 0) return true;
    RotationAfter after;
    after.size = static_cast<std::uint64_t>(st.st_size);
    look(f, after);
    applyChange(f, after, now);
    if (!f.released()) return true;
    stop_ = true;
    return false;
  }

  // The written files that the poll does not read (paused, held, a copy or not yet compared with
  // the live file, waiting for an older instance or for their link): the full look, so that a
  // truncation is noticed while they wait. A file the poll can read keeps its look for its next
  // read (marked after the poll passed it, or past the budget).
  void settleLooks(Instant now) {
    if (!looks_due_) return;
    looks_due_ = false;
    // By index: a restart appends its new instance to added_, never to files_.
    for (std::size_t i = 0; i < files_.size(); ++i) {
      TrackedFile& f = *files_[i];
      if (f.released() || !f.look_due) continue;
      if (isPaused(f) || isHeld(f) || f.phase() != Phase::Reading || waitsForOlder(f) ||
          waitsForLink(f, now)) {
        fullLook(f, now);
      } else {
        looks_due_ = true;
      }
    }
  }

  // Whether a file recognised as the copytruncate copy of instance `serial` is tracked (dormant
  // until that instance ends).
  bool copyTracked(std::uint64_t serial) const {
    for (const auto* list : {&files_, &added_}) {
      for (const auto& g : *list) {
        if (g->phase() == Phase::DormantCopy && g->copy_of == serial) return true;
      }
    }
    return false;
  }

  // The content half of a look through the fd: has the head been rewritten, is a copy known (asked
  // only of a truncated instance: classify() needs it for nothing else).
  void look(const TrackedFile& f, RotationAfter& after) {
    after.head_changed = f.fingerprint.length > 0 && after.size &&
                         *after.size >= f.offsets.read_offset && !headMatches(f);
    const bool truncated =
        after.head_changed || (after.size && *after.size < f.offsets.read_offset);
    after.copy_tracked = truncated && copyTracked(f.serial);
  }

  // Applies what rotation.h's classify() decided about one look at `f`.
  void applyChange(TrackedFile& f, const RotationAfter& after, Instant now) {
    const RotationChange change = classify(RotationBefore{f.state(), f.offsets.read_offset}, after);
    switch (change.name) {
      case NameChange::RenamedAway:
        ++counters_.rotations_rename;
        break;
      case NameChange::Removed:
      case NameChange::Replaced:
        f.deleted_at = now;
        ++counters_.rotations_delete;
        break;
      case NameChange::Unchanged:
      case NameChange::Moved:
        break;
    }
    f.rename(change.name, after.rotated_name);
    if (f.state() == FileState::Deleted) deleted_files_ = true;
    switch (change.content) {
      case ContentChange::Truncated:
      case ContentChange::Copytruncated:
        restartInstance(f, now);
        return;
      case ContentChange::Appended:
        f.at_end = false;
        [[fallthrough]];
      case ContentChange::Unchanged:
        if (after.size) f.size = *after.size;
        return;
    }
  }

  // The containers/ links (scan.h): which container instance each file belongs to.
  void loadContainerIds() {
    container_ids_.clear();
    Fd dir = openInWalk(root_.get(), "containers", true, *this);
    if (!dir) {
      watcher_.notThere();
      return;
    }
    watcher_.add(dir.get(), "containers");  // a link made after its file was found: a rescan
    container_ids_ = readContainerLinks(dir.get());
  }

  // A file found before the kubelet made its link gets its id at the next scan. An id already
  // known stays when its link goes (the kubelet removes it with the container, lines may be left).
  void applyContainerIds() {
    for (const auto* list : {&files_, &added_}) {
      for (const auto& f : *list) {
        if (f->released()) continue;
        const auto slash = f->path.rfind('/');
        std::string id =
            containerIdFor(container_ids_, f->dir, std::string_view(f->path).substr(slash + 1));
        if (id.empty() || id == f->encoder.metadata().container_id) continue;
        PodMetadata m = f->encoder.metadata();
        m.container_id = std::move(id);
        f->encoder.setMetadata(std::move(m));
      }
    }
  }

  void rescan(RecordSink& sink) {
    RecordSink* saved_sink = sink_;
    sink_ = &sink;
    const Instant now = clock_.now();
    last_rescan_ = now;
    rescan_requested_ = false;
    ++counters_.rescans;
    ++generation_;
    scan_complete_ = true;
    for (auto& f : files_)
      f->seen = false;
    watcher_.beginWalk();
    loadContainerIds();
    scan_now_ = now;
    const ScanListing listing =
        walkPods(root_.get(), config_.namespaces, *this, config_.pods, config_.containers);
    if (!listing.pods_found) watcher_.notThere();
    resumeCopies();
    ageNewLiveFiles();
    applyContainerIds();
    if (scan_complete_) forgetRefusedOutside(listing.pod_dirs);
    // Files not found where they were: deleted (or moved away); keep reading through the fd.
    for (auto& fp : files_) {
      TrackedFile& f = *fp;
      if (f.released()) continue;
      f.look_due = false;  // this look is the full one
      struct stat st {};
      if (::fstat(f.fd.get(), &st) != 0) {
        ++counters_.read_errors;
        continue;
      }
      // Not found where it was: deleted, or moved out of our view. A scan that failed to open some
      // directory (fd limit, I/O error) proves nothing, so only st_nlink == 0 counts then.
      RotationAfter after;
      after.listing = f.seen           ? Listing::Found
                      : scan_complete_ ? Listing::NotFound
                                       : Listing::ScanIncomplete;
      after.path_reused = !f.seen && listing.log_files.contains(f.path);
      after.unlinked = st.st_nlink == 0;
      after.size = static_cast<std::uint64_t>(st.st_size);
      look(f, after);
      applyChange(f, after, now);
    }
    from_end_.clear();
    sweep();
    pruneNamespaceCounters(now);
    pruneGonePods();
    if (scan_complete_) notifyPodsGone(listing.pod_uids);
    sink_ = saved_sink;
  }

  // copytruncate: the old instance ends (what was read is flushed), a new serial starts at 0.
  void restartInstance(TrackedFile& f, Instant now) {
    ++counters_.rotations_truncate;
    // The copy exists by now (copytruncate copies first), but its IN_CREATE may still be unread,
    // or a scan's walk may have listed the directory before it was made: look again before the
    // next poll(), so the copy is known (and older) before the new instance's first lines leave.
    rescan_requested_ = true;
    auto fresh = std::make_unique<TrackedFile>();
    fresh->serial = next_serial_++;
    fresh->id = f.id;
    fresh->path = f.path;
    fresh->dir = f.dir;
    fresh->fd = Fd(::fcntl(f.fd.get(), F_DUPFD_CLOEXEC, 0));
    fresh->encoder = f.encoder;
    fresh->assembler = FileAssembler(config_.max_record_bytes, ruleFor(f.encoder.metadata()));
    fresh->copyNameOf(f);
    if (fresh->state() == FileState::Deleted) deleted_files_ = true;
    // Newer than the truncated instance and its copy: the same inode, so its birth time is the
    // truncated instance's; this instance began when the truncation was noticed, after the copy was
    // made (copytruncate copies first).
    fresh->age = f.age;
    fresh->age.birth = f.age.birth != 0 ? static_cast<std::uint64_t>(wallClockNs()) : 0;
    fresh->age.generation = ++generation_;
    fresh->deleted_at = f.deleted_at;
    fresh->ns = f.ns;
    fresh->seen = true;
    struct stat st {};
    if (::fstat(fresh->fd.get(), &st) == 0) fresh->size = static_cast<std::uint64_t>(st.st_size);
    release(f, ReleaseReason::Truncated, now);
    added_.push_back(std::move(fresh));  // appended by sweep(): callers may be iterating files_
  }

  std::shared_ptr<const CompiledMultilineRule> ruleFor(const PodMetadata& m) const {
    for (const auto& r : rules_) {
      if (r->selects(m.namespace_name, m.pod_name, m.container_name)) return r;
    }
    return nullptr;
  }

  void consider(const std::string& rel, const std::string& dir_rel,
                const logroot::PodLogPath& where, Instant now) {
    Fd fd = openInWalk(root_.get(), rel, false, *this);
    if (!fd) return;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return;
    const FileId id{static_cast<std::uint64_t>(st.st_dev), static_cast<std::uint64_t>(st.st_ino)};
    // added_ too: a copytruncate noticed in this same call re-opened the file as a new instance.
    for (auto* list : {&files_, &added_}) {
      for (auto& f : *list) {
        if (f->released() || !(f->id == id)) continue;
        f->seen = true;
        if (f->path != rel) {
          // Renamed: the kubelet's rotation moves <n>.log to <n>.log.<timestamp>.
          RotationAfter after;
          after.listing = Listing::Found;
          after.moved = true;
          after.rotated_name = where.rotated;
          applyChange(*f, after, now);
          f->path = rel;
          f->dir = dir_rel;
        }
        return;
      }
    }
    // A hard link is a second name of an inode that may live anywhere on the filesystem (a pod
    // with write access under the root can link /etc/shadow into a container directory, and
    // openat2's RESOLVE_BENEATH cannot see it): the runtime never links log files, so a new file
    // with more than one name is refused. A file already tracked was checked when it was opened.
    if (st.st_nlink > 1) {
      refuse(rel, kRefusedHardLink);
      return;
    }
    auto f = std::make_unique<TrackedFile>();
    f->serial = next_serial_++;
    f->id = id;
    f->path = rel;
    f->dir = dir_rel;
    f->setInitialName(where.rotated);
    f->age = TrackedFile::Age{birthTimeNs(fd.get()), generation_, where.rotated ? 0 : 1, rel};
    f->size = static_cast<std::uint64_t>(st.st_size);
    f->seen = true;
    PodMetadata m;
    m.namespace_name = where.pod.namespace_name;
    m.pod_name = where.pod.pod_name;
    m.pod_uid = where.pod.pod_uid;
    m.container_name = where.container_name;
    m.host = config_.node_name;
    m.container_id = containerIdFor(container_ids_, dir_rel, where.file_name);
    if (const FilteredMetadata* known = pod_labels_.find(m.pod_uid)) applyPodMetadata(m, *known);
    f->ns = &counters_.by_namespace[m.namespace_name];
    pod_uids_.insert(m.pod_uid);
    f->assembler = FileAssembler(config_.max_record_bytes, ruleFor(m));
    f->encoder.setMetadata(std::move(m));
    f->encoder.setProcessing(config_.processing);
    f->encoder.setTimestampKey(config_.timestamp_key);
    // Reads through the kept descriptor leave the file's access time alone: under relatime a read
    // after a write updates it, so following a live file dirtied its inode at every look (a
    // journal write on ext4/xfs; touch_atime was ~4 % of the agent's CPU following 500 files on
    // tmpfs). The kernel allows O_NOATIME to the file's owner or with CAP_FOWNER (the agent runs
    // as root beside root-owned logs); refused, the reads update it as before.
    if (const int fl = ::fcntl(fd.get(), F_GETFL); fl >= 0)
      ::fcntl(fd.get(), F_SETFL, fl | O_NOATIME);
    f->fd = std::move(fd);
    // Where to start: a matching checkpoint, else the start (or the end at the very first scan
    // when configured so).
    bool placed = false;
    for (auto it = resume_.begin(); it != resume_.end(); ++it) {
      if (!(it->file == id)) continue;
      const ResumeCheck check = checkResumePoint(resumeFacts(f->fd.get(), *it, f->size));
      if (check == ResumeCheck::Resume) {
        f->offsets.placeAt(it->restart_offset, it->end_offset);
        placed = true;
      } else if (check == ResumeCheck::FingerprintMismatch) {
        ++counters_.fingerprint_mismatches;
        // Its content may live on in a copytruncate copy (resumeCopies).
        orphans_.push_back(std::move(*it));
      } else if (isRefused(check)) {
        refuseCheckpoint(*it, rel, check);
      }
      resume_.erase(it);
      break;
    }
    if (!placed && ((first_scan_ && !config_.read_existing_from_start) ||
                    from_end_.contains(f->encoder.metadata().pod_uid))) {
      f->offsets.read_offset = lineStartAtEnd(f->fd.get(), f->size);
    }
    if (f->offsets.read_offset > 0) refingerprint(*f);
    if (!f->rotated()) {
      loadHead(*f);
    } else if (!placed && f->offsets.read_offset == 0) {
      f->beginUnclassified();
      recogniseCopy(*f);
    }
    // The kubelet starts a container (whose runtime creates and writes <n>.log) before it makes
    // the containers/ link that names the instance's id, so a new instance is usually found first:
    // its first lines wait up to link_wait for the link rather than leave without an id. Only
    // where containers/ holds links (a kubelet's layout; a root without them has nothing to wait
    // for).
    // Only instances that appear while running: at the first scan a file without a link is an old
    // instance whose link the kubelet already removed, and `ship` reads what exists.
    if (config_.link_wait > Duration::zero() && !container_ids_.empty() && !first_scan_ &&
        !f->rotated() && !placed && f->offsets.read_offset == 0 &&
        f->encoder.metadata().container_id.empty()) {
      f->link_wait_until = clock_.now() + config_.link_wait;
    }
    f->at_end = false;
    files_.push_back(std::move(f));
    groups_dirty_ = true;
    counters_.files_open = files_.size();
  }

  // Only while it is the live file: renamed by a rotation, it is read at once (the instance's id
  // comes with the next scan if its link appears).
  bool waitsForLink(const TrackedFile& f, Instant now) const {
    return f.link_wait_until > now && f.state() == FileState::Live &&
           f.encoder.metadata().container_id.empty();
  }

  // A live instance ended by copytruncate, kept until its copy is found (or deleted_hold_time).
  struct TruncatedInstance {
    std::string dir;
    std::string head;
    TrackedFile::Age age;
    std::uint64_t serial = 0;
    std::uint64_t restart_offset = 0;
    std::uint64_t end_offset = 0;
    Instant at{};
  };
  static constexpr std::size_t kMaxTruncatedKept = 256;

  TailerConfig config_;
  const Clock& clock_;
  std::vector<TruncatedInstance> truncated_;
  Fd root_;
  DirWatcher watcher_;
  std::vector<std::shared_ptr<const CompiledMultilineRule>> rules_;
  std::vector<ResumePoint> resume_;
  // Resume points whose inode was found with other content: candidates for resumeCopies.
  std::vector<ResumePoint> orphans_;
  std::vector<std::unique_ptr<TrackedFile>> files_;
  std::vector<std::unique_ptr<TrackedFile>> added_;
  // The live file each containers/ link points at ("pods/<pod dir>/<container>/<n>.log") -> id.
  ContainerIds container_ids_;
  PodLabelTable pod_labels_;  // per pod uid: what its records carry (setPodLabels)
  std::set<std::string, std::less<>> pod_uids_;  // pods with a file tracked since their last scan
  std::set<std::string, std::less<>> paused_;    // pod uids whose files poll() skips
  std::set<std::string> refused_;
  // pod uid -> the paths_refused reason of its files (setPodExcluded)
  std::map<std::string, std::string, std::less<>> excluded_;
  std::set<std::string> from_end_;  // pod uids included again: new files start at their end
  TailerCounters counters_;
  // Namespaces whose counters no tracked file uses, since when (pruneNamespaceCounters).
  std::unordered_map<std::string, Instant> ns_idle_since_;
  std::vector<char> chunk_;
  std::size_t chunk_bytes_ = 0;      // the most a read takes of new bytes (read_chunk_bytes)
  bool looks_due_ = false;           // some file has look_due set (settleLooks)
  StringMap<DirActivity> activity_;  // container directories written lately, or busy
  Instant last_busy_poll_{};         // the last turn that read the busy directories' files
  std::string json_;
  std::string scratch_;
  std::size_t line_limit_ = 0;
  std::uint64_t next_serial_ = 1;
  std::size_t cursor_ = 0;
  Instant last_rescan_{};
  bool rescan_requested_ = false;
  bool scan_complete_ = true;  // every directory and file of the last scan could be opened
  bool first_scan_ = true;
  Instant scan_now_{};  // the running scan's instant (onFile)
  // Per call of poll/handleEvents.
  RecordSink* sink_ = nullptr;
  TrackedFile* current_ = nullptr;
  std::size_t budget_ = 0;
  std::size_t emitted_ = 0;
  bool stop_ = false;
  bool backlog_ = false;
  bool paused_backlog_ = false;
  std::uint64_t generation_ = 0;  // rescans (and copytruncate restarts) so far
  std::unordered_map<std::string_view, std::vector<TrackedFile*>> by_dir_;  // poll(): siblings
  bool groups_dirty_ = true;             // by_dir_ and the siblings lists no longer match files_
  std::uint64_t groups_generation_ = 1;  // by_dir_ rebuilds so far (DirActivity::files)
  bool deleted_files_ = false;           // a file may be Deleted and not released (handleEvents)
  std::size_t small_reads_ = 0;          // poll(): files read short since inotify was last read
};

Result<std::unique_ptr<Tailer>> Tailer::create(TailerConfig config, const Clock& clock,
                                               std::vector<ResumePoint> resume) {
  auto impl = std::make_unique<Impl>(std::move(config), clock);
  if (auto s = impl->init(std::move(resume)); !s) return fail(s.error());
  return std::unique_ptr<Tailer>(new Tailer(std::move(impl)));
}

Tailer::Tailer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tailer::~Tailer() = default;
int Tailer::eventFd() const {
  return impl_->eventFd();
}
void Tailer::handleEvents(RecordSink& sink) {
  impl_->handleEvents(sink);
}
void Tailer::flushMultiline(RecordSink& sink) {
  impl_->flushMultiline(sink);
}
bool Tailer::waitForEvents(Duration timeout, int wake_fd, int other_fd) const {
  const int fd = impl_->eventFd();
  if (fd < 0 && wake_fd < 0 && other_fd < 0) return false;
  // A negative fd is ignored by poll(2).
  pollfd p[3] = {{fd, POLLIN, 0}, {wake_fd, POLLIN, 0}, {other_fd, POLLIN, 0}};
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count();
  if (::poll(p, 3, static_cast<int>(std::clamp<long long>(ms, 0, 1 << 30))) <= 0) return false;
  return fd >= 0 && (p[0].revents & POLLIN) != 0;
}
Instant Tailer::nextWakeup() const {
  return impl_->nextWakeup();
}
void Tailer::setBusyPollInterval(Duration interval) {
  impl_->setBusyPollInterval(interval);
}
std::size_t Tailer::poll(std::size_t max_bytes, RecordSink& sink) {
  return impl_->poll(max_bytes, sink);
}
bool Tailer::hasBacklog() const {
  return impl_->hasBacklog();
}
void Tailer::setPodLabels(std::string_view pod_uid,
                          const std::map<std::string, std::string>& labels,
                          const std::map<std::string, std::string>& annotations,
                          const std::map<std::string, ContainerImage>& images) {
  impl_->setPodLabels(pod_uid, labels, annotations, images);
}
void Tailer::setHoldUnlabelledPods(bool hold) {
  impl_->setHoldUnlabelledPods(hold);
}
void Tailer::setPodPaused(std::string_view pod_uid, bool paused) {
  impl_->setPodPaused(pod_uid, paused);
}
bool Tailer::hasPausedBacklog() const {
  return impl_->hasPausedBacklog();
}
void Tailer::setSelection(NamespaceFilter namespaces, NamespaceFilter pods,
                          NamespaceFilter containers, std::vector<MultilineRule> multiline,
                          std::shared_ptr<const processing::Processing> processing) {
  impl_->setSelection(std::move(namespaces), std::move(pods), std::move(containers),
                      std::move(multiline), std::move(processing));
}
void Tailer::setPodGone(std::string_view pod_uid) {
  impl_->setPodGone(pod_uid);
}
void Tailer::setPodExcluded(std::string_view pod_uid, bool excluded, RecordSink& sink,
                            std::string_view reason) {
  impl_->setPodExcluded(pod_uid, excluded, sink, reason);
}
std::vector<FileStatus> Tailer::files() const {
  return impl_->files();
}
const TailerCounters& Tailer::counters() const {
  return impl_->counters();
}
std::uint64_t Tailer::lagBytes() const {
  return impl_->lagBytes();
}

}  // namespace keelson::logs
