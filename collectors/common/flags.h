// The one command-line grammar of keelson-agent and keelson-autoscaler. A command declares its
// flags on a FlagSet, each bound to the variable it sets, with a help line; parse() then reads
// the arguments after the command name:
//
//   --name value   or   --name=value
//   --name         for a boolean (also --name=true / --name=false)
//   --help, -h     the command's usage on stdout, exit 0 (on every command)
//
// Positional arguments, unknown flags, a missing value and a value its type refuses are usage
// errors naming the flag. Typed values use the project's grammars: durations are Go/Kubernetes
// durations (collectors/common/units.h: "15s", "1m30s"; the caller's dialect may give a bare
// integer a unit), integers and numbers are bounded. A flag given twice keeps the last value, as
// Go's flag package does. Pure apart from the bound variables; no global state.
#pragma once

#include <chrono>
#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "collectors/common/result.h"
#include "collectors/common/units.h"

namespace keelson::cli {

class FlagSet {
 public:
  // `command` heads the usage and the errors ("keelson-agent ship"); `synopsis` is the rest of
  // the usage's first line ("--log-root DIR --sink SINK [flags]"); `about` a paragraph under it.
  FlagSet(std::string command, std::string synopsis, std::string about = "");

  FlagSet& string(const std::string& name, std::string* into, const std::string& value_name,
                  const std::string& help);
  FlagSet& boolean(const std::string& name, bool* into, const std::string& help);
  FlagSet& duration(const std::string& name, std::chrono::milliseconds* into,
                    const std::string& help, DurationDialect dialect = {},
                    std::chrono::milliseconds min = std::chrono::milliseconds(1));
  FlagSet& integer(const std::string& name, long* into, long min, long max,
                   const std::string& help);
  FlagSet& number(const std::string& name, double* into, double min, double max,
                  const std::string& help);
  // Any other type: `set` checks and stores the text, returning why it is refused, if it is.
  FlagSet& custom(const std::string& name, const std::string& value_name, const std::string& help,
                  std::function<std::optional<std::string>(const std::string&)> set);

  // Applies the arguments. Ok(true): --help was asked for (nothing else is checked); Ok(false):
  // every flag applied. Errors: reason "Usage", the message naming the argument or flag.
  Result<bool> apply(const std::vector<std::string>& args);

  // apply() for a command: --help prints usage() on `out` and returns 0; a usage error prints
  // "<command>: <message>" and the usage on `err` and returns 2; otherwise nullopt (go on).
  std::optional<int> parse(const std::vector<std::string>& args, std::ostream& out,
                           std::ostream& err);

  // Whether the flag appeared in the arguments (a default is not "given").
  bool given(const std::string& name) const { return given_.contains(name); }

  // "usage: <command> <synopsis>", the about paragraph, then one line per flag with its help.
  std::string usage() const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty: a boolean
    std::string help;
    std::function<std::optional<std::string>(const std::string&)> set;
  };
  const Flag* find(const std::string& name) const;

  std::string command_;
  std::string synopsis_;
  std::string about_;
  std::vector<Flag> flags_;
  std::set<std::string> given_;
};

}  // namespace keelson::cli
