// Hand-written SVG for `simulate --plot`: no dependency, deterministic bytes.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "autoscaler/policy/quantity.h"
#include "autoscaler/simulate/simulate.h"

namespace keelson::simulate {
namespace {

using policy::TargetType;

constexpr double kWidth = 1100;
constexpr double kLeft = 80;
constexpr double kRight = 220;  // room for the legend
constexpr double kPlotWidth = kWidth - kLeft - kRight;
constexpr double kMetricHeight = 170;
constexpr double kReplicaHeight = 230;
constexpr double kPanelGap = 70;
constexpr double kTop = 70;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  std::string s = buf;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, ".0") == 0) s.resize(s.size() - 2);
  return s;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// A "nice" axis maximum and tick step (1, 2, 2.5, 5 x 10^n) for values in [0, max].
std::pair<double, double> niceAxis(double max) {
  if (max <= 0) max = 1;
  const double rough = max / 4;
  const double mag = std::pow(10, std::floor(std::log10(rough)));
  double step = mag;
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    step = m * mag;
    if (step >= rough) break;
  }
  return {std::ceil(max / step) * step, step};
}

std::string labelValue(double v) {
  const double a = std::fabs(v);
  char buf[32];
  if (a >= 1e9) {
    std::snprintf(buf, sizeof buf, "%gG", v / 1e9);
  } else if (a >= 1e6) {
    std::snprintf(buf, sizeof buf, "%gM", v / 1e6);
  } else if (a >= 1e4) {
    std::snprintf(buf, sizeof buf, "%gk", v / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%g", v);
  }
  return buf;
}

struct Frame {
  double top;
  double height;
  double y_max;
  double y_step;
  std::int64_t total_millis;
};

double xOf(const Frame& f, std::int64_t millis) {
  return kLeft + kPlotWidth * static_cast<double>(millis) /
                     static_cast<double>(std::max<std::int64_t>(f.total_millis, 1));
}
double yOf(const Frame& f, double v) {
  return f.top + f.height - f.height * std::clamp(v / f.y_max, 0.0, 1.05);
}

std::string timeLabel(std::int64_t offsetMillis, const std::optional<engine::Time>& start,
                      bool multiDay) {
  using namespace std::chrono;
  char buf[32];
  if (start) {
    const auto t = floor<minutes>(*start + milliseconds(offsetMillis));
    const auto day = floor<days>(t);
    const hh_mm_ss hms{t - day};
    if (multiDay) {
      const year_month_day ymd{day};
      std::snprintf(buf, sizeof buf, "%02u-%02u %02d:%02d", static_cast<unsigned>(ymd.month()),
                    static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                    static_cast<int>(hms.minutes().count()));
    } else {
      std::snprintf(buf, sizeof buf, "%02d:%02d", static_cast<int>(hms.hours().count()),
                    static_cast<int>(hms.minutes().count()));
    }
    return buf;
  }
  return formatDuration(offsetMillis);
}

void axes(std::string& svg, const Frame& f, const std::string& title, const std::string& yLabel,
          const std::optional<engine::Time>& start) {
  svg += "<text x=\"" + num(kLeft) + "\" y=\"" + num(f.top - 12) + "\" class=\"panel\">" +
         escape(title) + "</text>\n";
  // Horizontal gridlines and y labels.
  for (double v = 0; v <= f.y_max + f.y_step / 2; v += f.y_step) {
    const double y = yOf(f, v);
    svg += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + kPlotWidth) + "\" y1=\"" + num(y) +
           "\" y2=\"" + num(y) + "\" class=\"grid\"/>\n";
    svg += "<text x=\"" + num(kLeft - 8) + "\" y=\"" + num(y + 4) +
           "\" class=\"tick\" text-anchor=\"end\">" + labelValue(v) + "</text>\n";
  }
  // Vertical gridlines at a readable time step (at most ~12 labels).
  static const std::int64_t kSteps[] = {15000,    30000,    60000,    300000,   900000,
                                        1800000,  3600000,  7200000,  10800000, 21600000,
                                        43200000, 86400000, 172800000};
  std::int64_t step = kSteps[std::size(kSteps) - 1];
  for (std::int64_t s : kSteps) {
    if (f.total_millis / s <= 12) {
      step = s;
      break;
    }
  }
  const bool multiDay = f.total_millis > 86400000;
  for (std::int64_t t = 0; t <= f.total_millis; t += step) {
    const double x = xOf(f, t);
    svg += "<line x1=\"" + num(x) + "\" x2=\"" + num(x) + "\" y1=\"" + num(f.top) + "\" y2=\"" +
           num(f.top + f.height) + "\" class=\"grid\"/>\n";
    svg += "<text x=\"" + num(x) + "\" y=\"" + num(f.top + f.height + 16) +
           "\" class=\"tick\" text-anchor=\"middle\">" + timeLabel(t, start, multiDay) +
           "</text>\n";
  }
  svg += "<rect x=\"" + num(kLeft) + "\" y=\"" + num(f.top) + "\" width=\"" + num(kPlotWidth) +
         "\" height=\"" + num(f.height) + "\" class=\"frame\"/>\n";
  svg += "<text transform=\"translate(" + num(kLeft - 52) + "," + num(f.top + f.height / 2) +
         ") rotate(-90)\" class=\"axis\" text-anchor=\"middle\">" + escape(yLabel) + "</text>\n";
}

struct Point {
  std::int64_t t;
  std::optional<double> v;
};

// A path through the points, broken at gaps (nullopt). Long series keep, per pixel column, the
// first, min, max and last value so spikes survive the thinning.
std::string path(const Frame& f, const std::vector<Point>& pts, bool stepped) {
  std::string d;
  bool penDown = false;
  double lastY = 0;
  const std::size_t columns = static_cast<std::size_t>(kPlotWidth);
  const bool thin = pts.size() > columns * 2 && !stepped;
  std::size_t i = 0;
  double lastX = 0;
  auto finishStep = [&] {
    // A step function holds its last value up to the last point's x.
    if (stepped && penDown) d += "H" + num(lastX);
  };
  while (i < pts.size()) {
    if (!pts[i].v) {
      finishStep();
      penDown = false;
      ++i;
      continue;
    }
    if (thin) {
      const double x = xOf(f, pts[i].t);
      std::size_t j = i;
      double lo = *pts[i].v, hi = *pts[i].v;
      while (j < pts.size() && pts[j].v &&
             static_cast<int>(xOf(f, pts[j].t)) == static_cast<int>(x)) {
        lo = std::min(lo, *pts[j].v);
        hi = std::max(hi, *pts[j].v);
        ++j;
      }
      const double first = *pts[i].v;
      const double last = *pts[j - 1].v;
      for (double v : {first, lo, hi, last}) {
        d += (penDown ? "L" : "M") + num(x) + "," + num(yOf(f, v));
        penDown = true;
      }
      i = j;
      continue;
    }
    const double x = xOf(f, pts[i].t);
    const double y = yOf(f, *pts[i].v);
    if (!penDown) {
      d += "M" + num(x) + "," + num(y);
    } else if (stepped) {
      if (y != lastY) d += "H" + num(x) + "V" + num(y);
    } else {
      d += "L" + num(x) + "," + num(y);
    }
    penDown = true;
    lastY = y;
    lastX = x;
    ++i;
  }
  finishStep();
  return d;
}

void legend(std::string& svg, const Frame& f,
            const std::vector<std::pair<std::string, std::string>>& entries) {
  double y = f.top + 8;
  const double x = kLeft + kPlotWidth + 16;
  for (const auto& [cls, label] : entries) {
    svg += "<line x1=\"" + num(x) + "\" x2=\"" + num(x + 26) + "\" y1=\"" + num(y) + "\" y2=\"" +
           num(y) + "\" class=\"" + cls + "\"/>\n";
    svg += "<text x=\"" + num(x + 32) + "\" y=\"" + num(y + 4) + "\" class=\"legend\">" +
           escape(label) + "</text>\n";
    y += 20;
  }
}

std::string metricTitle(const policy::MetricSpec& m, std::size_t i) {
  std::string t = "metric " + std::to_string(i) + ": " + policy::toString(m.type) + " " + m.name;
  if (!m.container.empty()) t += " (container " + m.container + ")";
  return t;
}

}  // namespace

std::string plotSvg(const policy::Policy& policy, const Samples& samples,
                    const std::vector<Step>& steps) {
  const std::size_t metricCount = policy.metrics.size();
  const double height = kTop + static_cast<double>(metricCount) * (kMetricHeight + kPanelGap) +
                        kReplicaHeight + kPanelGap + 20;
  // The last step holds for one interval, so the time axis runs to one interval past it.
  const std::int64_t total = steps.empty() ? samples.interval_millis
                                           : steps.back().offset_millis + samples.interval_millis;
  std::string svg;
  svg.reserve(64 * 1024);
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + num(kWidth) + "\" height=\"" +
         num(height) + "\" viewBox=\"0 0 " + num(kWidth) + " " + num(height) +
         "\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n";
  svg +=
      "<style>\n"
      ".title{font-size:18px;font-weight:bold;fill:#222}.subtitle{font-size:12px;fill:#555}\n"
      ".panel{font-size:13px;font-weight:bold;fill:#333}.tick{font-size:11px;fill:#555}\n"
      ".axis{font-size:12px;fill:#333}.legend{font-size:12px;fill:#333}\n"
      ".grid{stroke:#e3e3e3;stroke-width:1}.frame{fill:none;stroke:#999;stroke-width:1}\n"
      ".gap{fill:#f4d9d9}.value{fill:none;stroke:#1f77b4;stroke-width:1.6}\n"
      ".target{fill:none;stroke:#d62728;stroke-width:1.5;stroke-dasharray:6 4}\n"
      ".replicas{fill:none;stroke:#2ca02c;stroke-width:2}\n"
      ".desired{fill:none;stroke:#ff7f0e;stroke-width:1.3;stroke-dasharray:4 3}\n"
      ".min{fill:none;stroke:#7f7f7f;stroke-width:1.3;stroke-dasharray:2 3}\n"
      ".recommended{fill:none;stroke:#9467bd;stroke-width:1;opacity:0.8}\n"
      ".max{fill:none;stroke:#444;stroke-width:1.3;stroke-dasharray:8 4}\n"
      "</style>\n";
  svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  svg += "<text x=\"" + num(kLeft) + "\" y=\"30\" class=\"title\">" +
         escape("Simulated scaling of " + policy.key() + " (" + policy.scale_target_ref.kind + " " +
                policy.scale_target_ref.name + ")") +
         "</text>\n";
  std::string sub = std::to_string(steps.size()) + " steps of " +
                    formatDuration(samples.interval_millis) + ", replicas " +
                    std::to_string(policy.min_replicas) + "-" + std::to_string(policy.max_replicas);
  sub += samples.start ? ", times in UTC" : ", time since the first step";
  sub += "; shaded = metric unavailable";
  svg += "<text x=\"" + num(kLeft) + "\" y=\"50\" class=\"subtitle\">" + escape(sub) + "</text>\n";

  double top = kTop + 20;
  for (std::size_t m = 0; m < metricCount; ++m) {
    const auto& spec = policy.metrics[m];
    double target = 0;
    std::string unit;
    switch (spec.target.type) {
      case TargetType::Utilization:
        target = spec.target.average_utilization;
        unit = "utilization % of request";
        break;
      case TargetType::Value:
        target = static_cast<double>(spec.target.value_milli) / 1000;
        unit = "total value";
        break;
      case TargetType::AverageValue:
        target = static_cast<double>(spec.target.average_value_milli) / 1000;
        unit = spec.type.traits().samples_are_totals ? "total (target per replica)"
                                                     : "average per pod";
        break;
    }
    std::vector<Point> pts;
    double maxV = target;
    for (const auto& s : steps) {
      std::optional<double> v;
      if (m < s.metrics.size() && s.metrics[m]) v = static_cast<double>(*s.metrics[m]) / 1000;
      if (v) maxV = std::max(maxV, *v);
      pts.push_back({s.offset_millis, v});
    }
    const auto [yMax, yStep] = niceAxis(maxV * 1.05);
    const Frame f{top, kMetricHeight, yMax, yStep, total};
    // Shade the unavailable stretches first so lines draw over them.
    for (std::size_t i = 0; i < pts.size(); ++i) {
      if (pts[i].v) continue;
      std::size_t j = i;
      while (j < pts.size() && !pts[j].v)
        ++j;
      const double x0 = xOf(f, pts[i].t);
      const double x1 = xOf(f, j < pts.size() ? pts[j].t : total + samples.interval_millis);
      svg += "<rect x=\"" + num(x0) + "\" y=\"" + num(f.top) + "\" width=\"" +
             num(std::max(1.0, std::min(x1, kLeft + kPlotWidth) - x0)) + "\" height=\"" +
             num(f.height) + "\" class=\"gap\"/>\n";
      i = j;
    }
    std::string title = metricTitle(spec, m) + " vs target " + labelValue(target) +
                        (spec.target.type == TargetType::Utilization ? "%" : "");
    axes(svg, f, title, unit, samples.start);
    svg += "<line x1=\"" + num(kLeft) + "\" x2=\"" + num(kLeft + kPlotWidth) + "\" y1=\"" +
           num(yOf(f, target)) + "\" y2=\"" + num(yOf(f, target)) + "\" class=\"target\"/>\n";
    svg += "<path d=\"" + path(f, pts, false) + "\" class=\"value\"/>\n";
    legend(svg, f, {{"value", "observed"}, {"target", "target"}});
    top += kMetricHeight + kPanelGap;
  }

  // Replicas panel.
  double maxR = policy.max_replicas;
  std::vector<Point> replicas, desired, minR, maxRs, recommended;
  for (const auto& s : steps) {
    maxR = std::max<double>(maxR, std::max(s.replicas, s.desired));
    // replicas[i] holds from step i until the next step: a step function.
    replicas.push_back({s.offset_millis, static_cast<double>(s.replicas)});
    desired.push_back({s.offset_millis, static_cast<double>(s.desired)});
    // Before behavior: shows what stabilization and rate limits held back.
    std::optional<double> rec;
    if (s.recommended >= 0) rec = s.recommended;  // off-scale values are drawn at the top
    recommended.push_back({s.offset_millis, rec});
    minR.push_back({s.offset_millis, static_cast<double>(s.min_replicas)});
    maxRs.push_back({s.offset_millis, static_cast<double>(s.max_replicas)});
  }
  if (!steps.empty()) {
    // Extend the step functions to the right edge.
    replicas.push_back({total, static_cast<double>(steps.back().desired)});
    desired.push_back({total, static_cast<double>(steps.back().desired)});
    recommended.push_back({total, recommended.back().v});
    minR.push_back({total, static_cast<double>(steps.back().min_replicas)});
    maxRs.push_back({total, static_cast<double>(steps.back().max_replicas)});
  }
  const auto [yMax, yStep] = niceAxis(maxR * 1.1);
  const Frame f{top, kReplicaHeight, yMax, std::max(1.0, yStep), total};
  axes(svg, f,
       "replicas; metrics ask = before stabilization and rate limits; min includes schedule floors",
       "replicas", samples.start);
  svg += "<path d=\"" + path(f, maxRs, true) + "\" class=\"max\"/>\n";
  svg += "<path d=\"" + path(f, minR, true) + "\" class=\"min\"/>\n";
  svg += "<path d=\"" + path(f, recommended, true) + "\" class=\"recommended\"/>\n";
  svg += "<path d=\"" + path(f, desired, true) + "\" class=\"desired\"/>\n";
  svg += "<path d=\"" + path(f, replicas, true) + "\" class=\"replicas\"/>\n";
  legend(svg, f,
         {{"replicas", "replicas"},
          {"desired", "desired"},
          {"recommended", "metrics ask"},
          {"min", "min (floors)"},
          {"max", "max"}});
  svg += "</svg>\n";
  return svg;
}

}  // namespace keelson::simulate
