#include "collectors/common/yaml.h"

#include <map>
#include <sstream>
#include <utility>

namespace keelson::yaml {

std::string Problem::format(const std::string& file) const {
  if (line > 0) return file + ":" + std::to_string(line) + ": " + message;
  return file + ": " + message;
}

namespace {

// One parser event, kept while an anchored node is open so an alias can replay it.
struct Event {
  enum class Kind { Null, Scalar, SeqStart, SeqEnd, MapStart, MapEnd } kind;
  YAML::Mark mark;
  std::string tag;
  std::string value;
  YAML::EmitterStyle::value style = YAML::EmitterStyle::Default;
};

struct Frame {
  bool map = false;
  YAML::anchor_t anchor = 0;
  std::size_t nodes_at_start = 0;
  std::size_t log_at_start = 0;
  // Mapping: whether the next child is a key, the current key's text (empty optional for a
  // complex key), and the keys seen with their lines. Sequence: the index of the next child.
  bool expect_key = true;
  std::optional<std::string> key;
  std::map<std::string, int> keys;
  std::size_t index = 0;
};

// Checks one document's events and forwards them (aliases expanded) to an optional handler.
class Checker final : public YAML::EventHandler {
 public:
  Checker(Limits limits, YAML::EventHandler* out) : limits_(limits), out_(out) {}

  const std::optional<Problem>& problem() const { return problem_; }

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (out_) out_->OnDocumentStart(mark);
  }
  void OnDocumentEnd() override {
    if (out_ && !problem_) out_->OnDocumentEnd();
  }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf({Event::Kind::Null, mark, "", "", YAML::EmitterStyle::Default}, anchor, "~");
  }
  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf({Event::Kind::Scalar, mark, tag, value, YAML::EmitterStyle::Default}, anchor, value);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (problem_) return;
    const auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      return setProblem({"InvalidYaml", mark.line + 1, "alias to an unknown anchor"});
    }
    const Anchored a = it->second;  // a copy: replaying may add anchors
    if (!count(mark, a.nodes)) return;
    if (!out_) {
      // Checking only: the anchored node was checked where it was defined.
      child(mark, a.scalar);
      if (!problem_) done();
      return;
    }
    // Streaming: deliver the anchored node's events again, through the same bookkeeping (they
    // are logged again when an enclosing anchor is being recorded).
    const std::vector<Event> replay(log_.begin() + static_cast<std::ptrdiff_t>(a.log_begin),
                                    log_.begin() + static_cast<std::ptrdiff_t>(a.log_end));
    replaying_ = true;
    for (const auto& e : replay) {
      if (problem_) break;
      apply(e);
    }
    replaying_ = false;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open({Event::Kind::SeqStart, mark, tag, "", style}, anchor);
  }
  void OnSequenceEnd() override { close({Event::Kind::SeqEnd, {}, "", "", {}}); }
  void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open({Event::Kind::MapStart, mark, tag, "", style}, anchor);
  }
  void OnMapEnd() override { close({Event::Kind::MapEnd, {}, "", "", {}}); }

 private:
  struct Anchored {
    std::size_t nodes = 0;  // size with aliases expanded
    std::size_t log_begin = 0;
    std::size_t log_end = 0;
    std::optional<std::string> scalar;  // a scalar's text (an alias may be used as a key)
  };

  void setProblem(Problem p) {
    if (!problem_) problem_ = std::move(p);
  }

  // Events are logged only when streaming, while an anchored node is open (for its aliases).
  bool recording() const { return out_ != nullptr && open_anchors_ > 0; }

  bool count(const YAML::Mark& mark, std::size_t n) {
    if (n > limits_.max_nodes || nodes_ > limits_.max_nodes - n) {
      setProblem({"TooLarge", mark.line + 1,
                  "the document holds more than " + std::to_string(limits_.max_nodes) +
                      " values once its aliases are expanded"});
      return false;
    }
    nodes_ += n;
    return true;
  }

  void apply(const Event& e) {
    switch (e.kind) {
      case Event::Kind::Null:
        return leaf(e, 0, "~");
      case Event::Kind::Scalar:
        return leaf(e, 0, e.value);
      case Event::Kind::SeqStart:
      case Event::Kind::MapStart:
        return open(e, 0);
      case Event::Kind::SeqEnd:
      case Event::Kind::MapEnd:
        return close(e);
    }
  }

  void emit(const Event& e, bool log) {
    if (log) log_.push_back(e);
    if (!out_) return;
    switch (e.kind) {
      case Event::Kind::Null:
        return out_->OnNull(e.mark, 0);
      case Event::Kind::Scalar:
        return out_->OnScalar(e.mark, e.tag, 0, e.value);
      case Event::Kind::SeqStart:
        return out_->OnSequenceStart(e.mark, e.tag, 0, e.style);
      case Event::Kind::SeqEnd:
        return out_->OnSequenceEnd();
      case Event::Kind::MapStart:
        return out_->OnMapStart(e.mark, e.tag, 0, e.style);
      case Event::Kind::MapEnd:
        return out_->OnMapEnd();
    }
  }

  // The path of a key of the innermost mapping, for messages: "spec.metrics[1].type".
  std::string path(const std::string& key) const {
    std::string out;
    for (std::size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.map) {
        out += (out.empty() ? "" : ".") + f.key.value_or("?");
      } else {
        out += "[" + std::to_string(f.index) + "]";
      }
    }
    return out + (out.empty() ? "" : ".") + key;
  }

  // A child of the innermost collection starts: in key position, track it and find duplicates.
  void child(const YAML::Mark& mark, const std::optional<std::string>& keyText) {
    if (frames_.empty()) return;
    Frame& f = frames_.back();
    if (!f.map || !f.expect_key) return;
    f.key = keyText;
    if (!keyText) return;  // a complex key (a mapping or list): not compared
    const auto [it, inserted] = f.keys.emplace(*keyText, mark.line + 1);
    if (!inserted) {
      setProblem({"DuplicateKey", mark.line + 1,
                  "duplicate key \"" + path(*keyText) + "\" (first at line " +
                      std::to_string(it->second) + ")"});
    }
  }
  // The child of the innermost collection is complete.
  void done() {
    if (frames_.empty()) return;
    Frame& f = frames_.back();
    if (f.map) {
      f.expect_key = !f.expect_key;
    } else {
      ++f.index;
    }
  }

  void leaf(const Event& e, YAML::anchor_t anchor, const std::string& text) {
    if (problem_) return;
    if (!replaying_ && !count(e.mark, 1)) return;
    child(e.mark, text);
    if (problem_) return;
    const std::size_t begin = log_.size();
    emit(e, recording() || (anchor != 0 && out_ != nullptr));
    if (anchor != 0) anchors_[anchor] = {1, begin, log_.size(), text};
    done();
  }

  void open(const Event& e, YAML::anchor_t anchor) {
    if (problem_) return;
    if (!replaying_ && !count(e.mark, 1)) return;
    child(e.mark, std::nullopt);
    if (problem_) return;
    Frame f;
    f.map = e.kind == Event::Kind::MapStart;
    f.anchor = anchor;
    f.nodes_at_start = nodes_ - 1;
    f.log_at_start = log_.size();
    if (anchor != 0) ++open_anchors_;
    frames_.push_back(std::move(f));
    emit(e, recording());
  }

  void close(const Event& e) {
    if (problem_ || frames_.empty()) return;
    emit(e, recording());
    const Frame f = std::move(frames_.back());
    frames_.pop_back();
    if (f.anchor != 0) {
      anchors_[f.anchor] = {nodes_ - f.nodes_at_start, f.log_at_start, log_.size(), std::nullopt};
      --open_anchors_;
    }
    done();
  }

  Limits limits_;
  YAML::EventHandler* out_;
  std::optional<Problem> problem_;
  std::vector<Frame> frames_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  std::vector<Event> log_;
  std::size_t nodes_ = 0;
  int open_anchors_ = 0;
  bool replaying_ = false;
};

// Runs the checks over the first (or every) document; forwards to `out` when given.
std::optional<Problem> check(std::string_view text, Limits limits, bool all,
                             YAML::EventHandler* out) {
  try {
    std::istringstream in{std::string(text)};
    YAML::Parser parser(in);
    while (true) {
      Checker checker(limits, out);
      const bool more = parser.HandleNextDocument(checker);
      if (checker.problem()) return checker.problem();
      if (!more || !all) break;
    }
  } catch (const YAML::Exception& e) {
    return Problem{"InvalidYaml", e.mark.is_null() ? 0 : e.mark.line + 1, e.msg};
  } catch (const std::exception& e) {
    return Problem{"InvalidYaml", 0, e.what()};
  }
  return std::nullopt;
}

}  // namespace

Documents loadAll(std::string_view text, Limits limits) {
  Documents out;
  out.problem = check(text, limits, true, nullptr);
  if (out.problem) return out;
  try {
    out.documents = YAML::LoadAll(std::string(text));
  } catch (const YAML::Exception& e) {
    out.problem = Problem{"InvalidYaml", e.mark.is_null() ? 0 : e.mark.line + 1, e.msg};
  } catch (const std::exception& e) {
    out.problem = Problem{"InvalidYaml", 0, e.what()};
  }
  if (out.problem) out.documents.clear();
  return out;
}

Documents loadFirst(std::string_view text, Limits limits) {
  Documents out;
  out.problem = check(text, limits, false, nullptr);
  if (out.problem) return out;
  try {
    out.documents.push_back(YAML::Load(std::string(text)));
  } catch (const YAML::Exception& e) {
    out.problem = Problem{"InvalidYaml", e.mark.is_null() ? 0 : e.mark.line + 1, e.msg};
  } catch (const std::exception& e) {
    out.problem = Problem{"InvalidYaml", 0, e.what()};
  }
  if (out.problem) out.documents.clear();
  return out;
}

std::optional<Problem> stream(std::string_view text, YAML::EventHandler& handler, Limits limits) {
  return check(text, limits, false, &handler);
}

}  // namespace keelson::yaml
