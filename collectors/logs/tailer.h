// The log-file tailer: discovers container log files under the log root, reads them in large
// sequential chunks, parses and assembles records, encodes them as JSON and hands them to the
// pipeline through a pull API. It owns no thread: the pipeline's thread calls everything.
//
//   root/pods/<ns>_<pod>_<uid>/<container>/<n>.log         the live file
//   root/pods/<ns>_<pod>_<uid>/<container>/<n>.log.<ts>    rotated siblings (".gz" ignored)
//   root/containers/<pod>_<ns>_<container>-<id>.log        links, one per container instance, read
//                                                          with readlink (never followed): the id
//                                                          of the <n>.log they point at
//
// THE OFFSET CONTRACT (what checkpoints rely on)
//   * Every record carries the file's identity: FileId (device + inode) + Fingerprint (hash of the
//     first up-to-1-KiB) for checkpoints, and `serial`, a number unique for the Tailer's lifetime
//     for each file *instance* (a copytruncate or an inode reused by a new file gets a new serial).
//     Key in-flight state by serial; key checkpoints by FileId + path with the fingerprint.
//   * end_offset: the byte offset just past the '\n' of the last line making up the record (for a
//     reassembled partial group or a multiline record, its last constituent line).
//   * Within one serial, emitted records have strictly increasing end_offset.
//   * restart_offset (<= end_offset, non-decreasing): the offset from which reading must start
//     again to re-create every record after this one. It differs from end_offset only while a group
//     of the *other* stream (or a multiline record) that started earlier is still open: e.g. stdout
//     "P" at 100, stderr "F" ending at 200, stdout "F" ending at 300: the stderr record has
//     end_offset 200 and restart_offset 100.
//   * Resuming: checkpoint the (restart_offset, end_offset) of the last record acknowledged in
//     order, and pass them back as a ResumePoint. The tailer reads from restart_offset,
//     re-assembles any group straddling end_offset from its start, and suppresses every record
//     whose end_offset <= the committed end_offset. So a resume re-emits exactly the records after
//     the checkpoint: the tailer only ever emits whole records, and a restart offset is always a
//     line boundary at which no group is open.
//   * A ResumePoint whose inode no longer holds its content (fingerprint mismatch, or the inode is
//     gone) may instead resume a file of the same container directory that has no checkpoint of
//     its own and starts with the checkpointed bytes: a copytruncate copy made while the agent was
//     down (copy_match.h). Record::start tells the pipeline where each instance began.
//   * The tailer never emits a line it has not seen end with '\n' (a live file's incomplete last
//     line waits), except when a file is let go (deleted and read to its end, hold expired, or
//     truncated): then its unterminated last line is emitted as a line and its open groups are
//     flushed, flagged kRecordIncomplete (end offsets still strictly increase; see
//     assembler.h).
//
// BACKPRESSURE: poll() emits at most `max_bytes` of encoded JSON (the first record of a call is
// always emitted even if larger, so progress never stops); the files are the buffer. Files are
// served round-robin, at most one read chunk per file per turn, so one noisy file cannot starve
// others.
//
// Thread safety: none; one thread owns the Tailer. Errors: I/O errors on one file are counted and
// that file retried at the next rescan; the Tailer itself fails only at create() (root not
// openable, bad multiline pattern).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/logs/assembler.h"
#include "collectors/logs/clock.h"
#include "collectors/logs/fingerprint.h"
#include "collectors/logs/line_parser.h"
#include "collectors/logs/metadata_filter.h"
#include "collectors/logs/record_encoder.h"

namespace keelson::logs {

// Names (of namespaces, pods or containers) to read: globs (`*`, `?`). Empty `include` means
// all; `exclude` wins over `include`.
struct NamespaceFilter {
  std::vector<std::string> include;
  std::vector<std::string> exclude;
  bool allows(std::string_view namespace_name) const;
};

struct TailerConfig {
  std::string log_root = "/var/log";     // contains pods/ and containers/
  std::string node_name;                 // the record's kubernetes.host
  NamespaceFilter namespaces;            // by namespace name; files refused: "NamespaceNotSelected"
  NamespaceFilter pods;                  // by pod name; "PodNotSelected"
  NamespaceFilter containers;            // by container name; "ContainerNotSelected"
  std::vector<MultilineRule> multiline;  // first rule selecting (namespace, container) wins
  std::size_t max_record_bytes = kDefaultMaxRecordBytes;
  std::size_t read_chunk_bytes = 256 * 1024;
  // How often the whole root is scanned again without being asked: rescan_interval without
  // inotify, or while the last scan could not open or watch some directory (the user's inotify
  // watch limit); watched_rescan_interval while inotify watches every directory and so reports
  // every creation, move and deletion (each of which, and an overflow, rescans at once): then the
  // scan is only a net for what inotify cannot see (a filesystem that does not report changes).
  // Following 500 pods a scan costs ~15,000 system calls: at every 10 s it was most of an idle
  // agent's CPU.
  Duration rescan_interval = std::chrono::seconds(10);
  Duration watched_rescan_interval = std::chrono::seconds(60);
  Duration deleted_hold_time = std::chrono::seconds(60);  // max time a deleted file is kept open
  // Files found at the first scan without a ResumePoint: read from their start (true; what `ship`
  // needs) or from their current end (false). Files appearing later are always read from 0.
  bool read_existing_from_start = true;
  bool use_inotify = true;  // false: rescans only (tests of the fallback)
  // Under a kubelet's layout (containers/ exists), how long a new container instance's file waits
  // for the containers/ link that names its id before it is read without one: the kubelet makes
  // the link only after the container has started writing. Zero: read at once.
  Duration link_wait = Duration::zero();
  // A directory written at each of several turns in a row stops reporting writes and its files
  // are read at every turn instead, a turn coming at least this often while one is so (the
  // owner's wait between turns; the pipeline's logs.batch_wait). Zero: every write is reported.
  Duration busy_poll_interval = Duration::zero();
  // Which pod labels/annotations records carry, and how many bytes of them (metadata_filter.h).
  MetadataPolicy metadata;
  // Drop / redact / parse_json rules (processing/processing.h), applied by each file's encoder;
  // null: none.
  std::shared_ptr<const processing::Processing> processing;
  // Records also carry their time under this name ("" none; RecordEncoder::setTimestampKey).
  std::string timestamp_key;
  // Tailer::setHoldUnlabelledPods.
  bool hold_unlabelled_pods = false;
  // Called (on the owner's thread) with a sentence for conditions a user should see once, e.g. a
  // checkpoint entry refused. Unset: not reported (still counted).
  std::function<void(const std::string&)> warn;
};

// A checkpoint handed back at start-up.
struct ResumePoint {
  FileId file;
  std::string path;  // relative to the log root; a hint (the file may have been renamed since)
  Fingerprint fingerprint;
  std::uint64_t restart_offset = 0;
  std::uint64_t end_offset = 0;  // records with end_offset <= this are not re-emitted
};

// Where a file instance began reading when that was not its beginning: records up to end_offset
// were shipped before (from a checkpoint, or by the live instance a copytruncate copy continues),
// so the acknowledged position of this instance starts there.
struct StartPoint {
  bool placed = false;  // false: read from 0 (or from its end), nothing shipped before
  std::uint64_t restart_offset = 0;
  std::uint64_t end_offset = 0;
  // A copytruncate copy read on from the truncated live instance with this serial (its records up
  // to end_offset were emitted by that instance and may still be in flight); 0 for a checkpoint.
  std::uint64_t continues_serial = 0;
};

// One record handed to the pipeline. Every pointer/view is valid only during the callback.
struct Record {
  std::uint64_t serial = 0;
  FileId file;
  Fingerprint fingerprint;           // current fingerprint of the file (for the checkpoint)
  std::string_view path;             // relative to the log root, e.g. "pods/ns_pod_uid/app/0.log"
  const PodMetadata* pod = nullptr;  // namespace/pod/uid/container: topic template and Kafka key
  std::uint64_t end_offset = 0;
  std::uint64_t restart_offset = 0;
  std::string_view json;    // the encoded record (record_encoder.h), no trailing newline
  std::uint32_t flags = 0;  // RecordFlag bits
  StartPoint start;         // where this instance (serial) began reading
};

// Why a file instance was let go.
enum class ReleaseReason : std::uint8_t {
  Deleted,      // deleted (or rotated and deleted) and read to its end
  HoldExpired,  // deleted, not read to its end within deleted_hold_time: bytes abandoned
  Truncated,    // copytruncate: the instance ends, a new serial starts at 0
  Excluded,     // the pod was excluded (Tailer::setPodExcluded)
};
std::string_view releaseReasonName(ReleaseReason r);

struct FileReleased {
  std::uint64_t serial = 0;
  FileId file;
  std::string_view path;
  ReleaseReason reason = ReleaseReason::Deleted;
  std::uint64_t read_offset = 0;      // bytes consumed
  std::uint64_t bytes_abandoned = 0;  // size - read_offset when let go unread
};

// Receives what poll() and handleEvents() produce. Called synchronously on the owner's thread;
// implementations must not call back into the Tailer.
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void onRecord(const Record& record) = 0;
  // The instance will emit nothing more; in-flight records of it may still be acknowledged.
  virtual void onFileReleased(const FileReleased& /*released*/) {}
  // A pod the tailer had files of is gone from the log root: its directory was not found by a
  // complete scan and every file of it was let go. Called once per pod (again only if it comes
  // back and goes again), so per-pod state kept by the caller (rate limiters) can be dropped
  // without the API (metadata off).
  virtual void onPodGone(std::string_view /*pod_uid*/) {}
};

enum class FileState : std::uint8_t { Live, Rotated, Deleted };

// Per-file report (for keelson_log_lag_bytes and the status page).
struct FileStatus {
  std::uint64_t serial = 0;
  FileId file;
  Fingerprint fingerprint;
  std::string path;
  PodMetadata pod;
  LogFormat format = LogFormat::Unknown;
  FileState state = FileState::Live;
  std::uint64_t size = 0;                // at the last fstat
  std::uint64_t read_offset = 0;         // bytes consumed from the file
  std::uint64_t emitted_end_offset = 0;  // end_offset of the last record emitted
  StartPoint start;                      // where this instance began reading
};

// Counters (monotonic unless noted) the pipeline turns into the keelson_log_* metrics.
struct NamespaceCounters {
  std::uint64_t lines_read = 0;  // physical lines
  std::uint64_t bytes_read = 0;
};
struct TailerCounters {
  std::unordered_map<std::string, NamespaceCounters> by_namespace;
  std::uint64_t files_open = 0;          // gauge
  std::uint64_t rotations_rename = 0;    // kind="rename"
  std::uint64_t rotations_truncate = 0;  // kind="truncate"
  std::uint64_t rotations_delete = 0;    // kind="delete"
  std::uint64_t records_truncated = 0;
  std::map<std::string, std::uint64_t, std::less<>> paths_refused;  // by reason (safe_open.h)
  std::array<std::uint64_t, kParseErrorCount> parse_errors{};       // index: ParseError
  std::uint64_t bytes_abandoned = 0;
  std::uint64_t records_emitted = 0;
  std::uint64_t read_errors = 0;
  std::uint64_t fingerprint_mismatches = 0;  // resume points refused (inode reused / truncated)
  std::uint64_t copies_recognised = 0;       // copytruncate copies read on from the live instance
  // Copies (no checkpoint of their own) resumed at the checkpoint of the file they copy, whose
  // inode no longer holds that content: a copytruncate while the agent was down (copy_match.h).
  std::uint64_t copies_resumed = 0;
  // Checkpoint entries refused as unsafe to resume from, by reason (resume_check.h): their files
  // were read again from 0.
  std::map<std::string, std::uint64_t, std::less<>> checkpoints_refused;
  std::uint64_t pod_label_entries = 0;  // gauge: pods whose API labels the tailer holds
  // Labels/annotations left out of records by TailerConfig::metadata, by reason
  // (metadata_filter.h), counted once per change of a pod's metadata.
  std::map<std::string, std::uint64_t, std::less<>> metadata_omitted;
  std::uint64_t rescans = 0;
  // gauge: directories whose writes are not reported, their files read at every turn
  // (TailerConfig::busy_poll_interval)
  std::uint64_t busy_directories = 0;
};

class Tailer {
 public:
  // Opens the root, compiles multiline rules, sets up inotify (if available and enabled) and does
  // the first scan. `clock` must outlive the Tailer. Fails with "RootNotFound"/"RootOpenFailed"
  // or "BadMultilinePattern".
  static Result<std::unique_ptr<Tailer>> create(TailerConfig config, const Clock& clock,
                                                std::vector<ResumePoint> resume = {});
  ~Tailer();
  Tailer(const Tailer&) = delete;
  Tailer& operator=(const Tailer&) = delete;

  // An fd that becomes readable when something under the root changed (inotify), or -1 when
  // inotify is unavailable/disabled. Wait on it (poll/epoll/Asio) with a timeout of at most
  // nextWakeup() - now, then call handleEvents().
  int eventFd() const;

  // Drains inotify events (non-blocking), rescans when due (or when events asked for it),
  // detects rotation/truncation/deletion, releases files that are done or past their hold time,
  // and flushes expired multiline records into `sink`. Never blocks.
  void handleEvents(RecordSink& sink);

  // Emits every pending multiline record now instead of at its flush timeout (open partial-line
  // groups stay open: their line is not complete). For `ship`, once poll() has no backlog.
  void flushMultiline(RecordSink& sink);

  // Waits up to `timeout` for eventFd() to become readable (plain poll(2)), or `wake_fd` or
  // `other_fd` (the caller's own descriptors, to be woken early: its eventfd, its sink's
  // delivery reports; -1: none); returns true if eventFd() became readable. Without inotify it
  // waits on the caller's descriptors alone (returning false), or returns at once.
  bool waitForEvents(Duration timeout, int wake_fd = -1, int other_fd = -1) const;

  // The next instant handleEvents() has timed work to do (rescan, multiline flush, hold expiry,
  // the next turn while some directory is busy).
  Instant nextWakeup() const;

  // TailerConfig::busy_poll_interval, changed (a configuration reload); zero makes every busy
  // directory report its writes again.
  void setBusyPollInterval(Duration interval);

  // Reads and emits records, round-robin over the files with unread data, until `max_bytes` of
  // encoded JSON were emitted or no file has anything more. Returns the JSON bytes emitted.
  std::size_t poll(std::size_t max_bytes, RecordSink& sink);

  // True when the last poll() stopped on the byte budget (more may be ready) rather than on EOF of
  // every file. poll() returning with hasBacklog() false means every tracked file that is not
  // paused was read to its end-of-file during that call (what `keelson-agent ship` waits for
  // before draining acks, together with hasPausedBacklog()).
  bool hasBacklog() const;

  // Pausing a pod (the pipeline's per-pod rate limit is holding its records): poll() skips its
  // files, which keep their unread bytes and queued records (the files are the buffer), so a pod
  // over its rate cannot fill the in-flight budget and slow every other pod. handleEvents() still
  // watches them (rotation, deletion, hold time, multiline flush). Unknown uids are remembered.
  void setPodPaused(std::string_view pod_uid, bool paused);
  // True when the last poll() skipped a paused file with unread data.
  bool hasPausedBacklog() const;

  // Swaps labels/annotations (from the API) for every file of the pod; re-encodes their suffix
  // once. What records carry is filtered by TailerConfig::metadata (counted in metadata_omitted);
  // calling it again with the same maps does nothing (and counts nothing).
  // `images`: by container name, the record's container_image / container_hash.
  void setPodLabels(std::string_view pod_uid, const std::map<std::string, std::string>& labels,
                    const std::map<std::string, std::string>& annotations,
                    const std::map<std::string, ContainerImage>& images = {});

  // The API no longer lists the pod (deleted): its labels are dropped once none of its files is
  // tracked any more (they are still needed to encode the last lines of its files). setPodLabels
  // for the pod undoes this. Unknown uids are ignored.
  void setPodGone(std::string_view pod_uid);

  // Excluding a pod (its keelson.io/exclude annotation): its files are let go now
  // (ReleaseReason::Excluded: what was read is emitted, the rest is not read) and not opened again;
  // each file is counted once in paths_refused["Excluded"]. Including it again reads its files
  // from their current end at the next rescan (requested at once).
  // `reason`: the paths_refused reason its files are counted under ("PodNotSelected" for a pod
  // that `logs.pods.selector` does not select).
  void setPodExcluded(std::string_view pod_uid, bool excluded, RecordSink& sink,
                      std::string_view reason = "Excluded");

  // While on, the files of a pod the API has said nothing of yet (no setPodLabels) are not read
  // (their place is kept; rotation and deletion are still followed): a label selector decides
  // from the pod's labels before any of its lines is shipped. TailerConfig::hold_unlabelled_pods
  // at start.
  void setHoldUnlabelledPods(bool hold);

  // A configuration reload's selection and processing rules (logs.namespaces/pods/containers,
  // drop/redact/parse_json). The selection decides from the next rescan (requested at once):
  // newly selected directories are read from their files' current end like any new file, and
  // files already tracked keep being read to their end (deselecting a namespace stops new files,
  // not a file in the middle of its lines). Processing applies to every record encoded after the
  // call. Multiline rules apply to files tracked after it.
  void setSelection(NamespaceFilter namespaces, NamespaceFilter pods, NamespaceFilter containers,
                    std::vector<MultilineRule> multiline,
                    std::shared_ptr<const processing::Processing> processing);

  std::vector<FileStatus> files() const;
  const TailerCounters& counters() const;

  // Bytes in tracked files not yet read (sum of size - read_offset at the last fstat).
  std::uint64_t lagBytes() const;

  class Impl;

 private:
  explicit Tailer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keelson::logs
