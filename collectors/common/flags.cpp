#include "collectors/common/flags.h"

#include <fmt/format.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <ostream>

namespace keelson::cli {

FlagSet::FlagSet(std::string command, std::string synopsis, std::string about)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), about_(std::move(about)) {}

FlagSet& FlagSet::custom(const std::string& name, const std::string& value_name,
                         const std::string& help,
                         std::function<std::optional<std::string>(const std::string&)> set) {
  flags_.push_back({name, value_name, help, std::move(set)});
  return *this;
}

FlagSet& FlagSet::string(const std::string& name, std::string* into, const std::string& value_name,
                         const std::string& help) {
  return custom(name, value_name, help, [into](const std::string& v) -> std::optional<std::string> {
    *into = v;
    return std::nullopt;
  });
}

FlagSet& FlagSet::boolean(const std::string& name, bool* into, const std::string& help) {
  // No value name: a boolean (apply() gives a bare --name "true").
  return custom(name, "", help, [into](const std::string& v) -> std::optional<std::string> {
    if (v != "true" && v != "false") return fmt::format("must be true or false (got \"{}\")", v);
    *into = v == "true";
    return std::nullopt;
  });
}

FlagSet& FlagSet::duration(const std::string& name, std::chrono::milliseconds* into,
                           const std::string& help, DurationDialect dialect,
                           std::chrono::milliseconds min) {
  return custom(name, "DURATION", help,
                [into, dialect, min](const std::string& v) -> std::optional<std::string> {
                  auto d = parseDuration(v, dialect);
                  if (!d) return d.error().message;
                  if (*d < min) {
                    return fmt::format("must be at least {} ms (got \"{}\")", min.count(), v);
                  }
                  *into = *d;
                  return std::nullopt;
                });
}

FlagSet& FlagSet::integer(const std::string& name, long* into, long min, long max,
                          const std::string& help) {
  return custom(
      name, "N", help, [into, min, max](const std::string& v) -> std::optional<std::string> {
        char* end = nullptr;
        errno = 0;
        const long n = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno != 0 || n < min || n > max) {
          return fmt::format("must be an integer from {} to {} (got \"{}\")", min, max, v);
        }
        *into = n;
        return std::nullopt;
      });
}

FlagSet& FlagSet::number(const std::string& name, double* into, double min, double max,
                         const std::string& help) {
  return custom(name, "N", help,
                [into, min, max](const std::string& v) -> std::optional<std::string> {
                  char* end = nullptr;
                  const double n = std::strtod(v.c_str(), &end);
                  if (v.empty() || *end != '\0' || !std::isfinite(n) || n < min || n > max) {
                    return fmt::format("must be a number from {} to {} (got \"{}\")", min, max, v);
                  }
                  *into = n;
                  return std::nullopt;
                });
}

const FlagSet::Flag* FlagSet::find(const std::string& name) const {
  for (const auto& f : flags_) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

Result<bool> FlagSet::apply(const std::vector<std::string>& args) {
  for (const auto& a : args) {
    if (a == "--help" || a == "-h") return true;
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--") || a.size() == 2) {
      return fail("Usage", fmt::format("unexpected argument \"{}\"", a));
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Flag* flag = find(name);
    if (flag == nullptr) return fail("Usage", fmt::format("unknown flag --{}", name));
    if (!value) {
      if (flag->value_name.empty()) {
        value = "true";
      } else if (i + 1 >= args.size()) {
        return fail("Usage", fmt::format("flag --{} needs a value ({})", name, flag->value_name));
      } else {
        value = args[++i];
      }
    }
    if (auto refused = flag->set(*value)) {
      return fail("Usage", fmt::format("--{}: {}", name, *refused));
    }
    given_.insert(name);
  }
  return false;
}

std::optional<int> FlagSet::parse(const std::vector<std::string>& args, std::ostream& out,
                                  std::ostream& err) {
  auto help = apply(args);
  if (!help) {
    err << command_ << ": " << help.error().message << "\n" << usage();
    return 2;
  }
  if (*help) {
    out << usage();
    return 0;
  }
  return std::nullopt;
}

std::string FlagSet::usage() const {
  std::string out = fmt::format("usage: {} {}\n", command_, synopsis_);
  if (!about_.empty()) out += "\n" + about_ + "\n";
  if (!flags_.empty()) out += "\nflags:\n";
  std::size_t width = 0;
  std::vector<std::string> heads;
  for (const auto& f : flags_) {
    heads.push_back("--" + f.name + (f.value_name.empty() ? "[=true|false]" : " " + f.value_name));
    width = std::max(width, heads.back().size());
  }
  for (std::size_t i = 0; i < flags_.size(); ++i) {
    out += fmt::format("  {:<{}}  {}\n", heads[i], width, flags_[i].help);
  }
  out += fmt::format("  {:<{}}  this text\n", "--help", width);
  return out;
}

}  // namespace keelson::cli
