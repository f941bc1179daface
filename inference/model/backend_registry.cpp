#include "inference/model/backend_registry.h"

#include <algorithm>
#include <mutex>
#include <stdexcept>

#include "inference/cpu/cpu_backend.h"

namespace glasswing::model {

namespace {
struct Entry {
  std::string name;
  int priority;
  BackendFactory factory;
  AutoCheck auto_check;
};

struct Registry {
  std::mutex mutex;
  std::vector<Entry> entries{
      {"cpu", 0, [](const Model& m) { return std::make_unique<cpu::CpuBackend>(m); }, {}},
      // The CPU engine rounding exactly as llama.cpp's x86 CPU path does (slower): for comparing against
      // llama.cpp's logits bit for bit. Lowest priority, so "auto" never picks it.
      {"cpu-llamacpp",
       -1000,
       [](const Model& m) { return std::make_unique<cpu::CpuBackend>(m, 0, cpu::Rounding::LlamaCpp); },
       {}},
  };
};

Registry& registry() {
  static Registry r;
  return r;
}
}  // namespace

void register_backend(const std::string& name, int priority, BackendFactory factory, AutoCheck auto_check) {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::erase_if(r.entries, [&](const Entry& e) { return e.name == name; });
  r.entries.push_back({name, priority, std::move(factory), std::move(auto_check)});
  std::stable_sort(r.entries.begin(), r.entries.end(),
                   [](const Entry& a, const Entry& b) { return a.priority > b.priority; });
}

std::vector<std::string> backend_names() {
  auto& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<std::string> names;
  for (const auto& e : r.entries) names.push_back(e.name);
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return (a != "cpu") != (b != "cpu") ? a == "cpu" : a < b;
  });
  names.push_back("auto");
  return names;
}

std::string BackendChoice::explanation() const {
  std::string out;
  for (const auto& s : skipped)
    out += (out.empty() ? "" : "; ") + (s.failed ? s.name + " could not start: " + s.reason : s.reason);
  return out.empty() ? reason : out;
}

BackendChoice choose_backend(std::string_view name, const Model& model) {
  std::vector<Entry> entries;
  {
    auto& r = registry();
    std::lock_guard lock(r.mutex);
    entries = r.entries;
  }
  BackendChoice choice;
  if (name == "auto") {
    for (const auto& e : entries) {
      std::string why;
      try {
        if (e.auto_check) {
          AutoVerdict verdict = e.auto_check();
          if (!verdict.try_it) {
            choice.skipped.push_back({e.name, std::move(verdict.reason), false});
            continue;
          }
          why = std::move(verdict.reason);
        }
        choice.backend = e.factory(model);
        choice.name = e.name;
        choice.reason = std::move(why);
        return choice;
      } catch (const std::exception& ex) {
        choice.skipped.push_back({e.name, ex.what(), true});
      }
    }
    std::string failures;
    for (const auto& s : choice.skipped) failures += "; " + s.name + ": " + s.reason;
    throw std::runtime_error("no backend could start" + failures);
  }
  for (const auto& e : entries)
    if (e.name == name) {
      choice.backend = e.factory(model);
      choice.name = e.name;
      return choice;
    }
  std::string known;
  for (const auto& n : backend_names()) known += (known.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown backend '" + std::string(name) + "' (available: " + known + ")");
}

std::unique_ptr<Backend> create_backend(std::string_view name, const Model& model) {
  return choose_backend(name, model).backend;
}

}  // namespace glasswing::model
