// The contract of `glasswing-cli attention`: its CSV, float32 + JSON and summary files hold exactly the
// backend's numbers for the prompt's tokens, and bad flags end in one-line errors with exit status 2.
#include <sys/wait.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/attention_output.h"
#include "inference/model/backend_registry.h"
#include "inference/tokenizer/tokenizer.h"
#include "tests/attention/attention_reference.h"

using namespace glasswing;

namespace {

const char* const kPrompt = "Once upon a time, there was a little girl named \"Lily\".";

struct RunResult {
  int status = -1;
  std::string err;
};

RunResult run_cli(const std::vector<std::string>& args) {
  const auto dir = test::temp_dir("attention_cli");
  std::string cmd = test::shell_quote(GLASSWING_CLI_PATH) + " attention";
  for (const auto& a : args) cmd += " " + test::shell_quote(a);
  cmd += " 2> " + test::shell_quote((dir / "stderr.txt").string());
  const int raw = std::system(cmd.c_str());
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, test::read_file(dir / "stderr.txt")};
}

// RFC 4180 reader: rows of fields, quoted fields may hold commas, doubled quotes and newlines.
std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1);
  std::string field;
  bool quoted = false, in_quotes = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        field += '"', ++i;
      else if (c == '"')
        in_quotes = false;
      else
        field += c;
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = true;
    } else if (c == ',' || c == '\n') {
      rows.back().push_back(field);
      field.clear();
      quoted = false;
      if (c == '\n') rows.emplace_back();
    } else {
      field += c;
    }
  }
  REQUIRE(!in_quotes);
  REQUIRE(field.empty());
  REQUIRE(rows.back().empty());  // the file ends with a newline
  rows.pop_back();
  return rows;
}

// What the CLI computes, done through the API: the prompt with the tokenizer's default BOS, prefilled.
struct Expected {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<model::Backend> backend;
  std::unique_ptr<model::Session> session;
  std::vector<int32_t> tokens;
  std::vector<std::string> display;
  int32_t bos_id = -1;
  explicit Expected(const std::filesystem::path& path, bool bos) {
    model = model::Model::load(path);
    backend = model::create_backend("cpu", *model);
    const auto tok = tokenizer::Tokenizer::from_gguf(model->file());
    tokens = tok.encode(kPrompt, {.add_bos = bos});
    bos_id = tok.bos_id();
    for (int32_t id : tokens) display.push_back(cli::attention_output::display_token(tok.token_piece(id)));
    session = std::make_unique<model::Session>(*model, *backend, static_cast<int64_t>(tokens.size()));
    backend->forward(*session, tokens, false);
  }
};

}  // namespace

TEST_CASE("attention --format f32 writes the matrix and a JSON header", "[attention][cli]") {
  const auto model_path = test::require_shared("models/synthetic/synth-qwen2-f32.gguf");
  const auto out = test::temp_dir("attention_f32") / "map.f32";
  // qwen2 adds no BOS by default; --bos overrides that.
  const auto r = run_cli({"-m", model_path.string(), "-p", kPrompt, "--layer", "2", "--head", "5", "--bos",
                          "--format", "f32", "--queries", "4:", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  Expected e(model_path, true);
  REQUIRE(e.tokens.front() == e.bos_id);
  const int64_t n = static_cast<int64_t>(e.tokens.size());
  const auto m = e.backend->attention(*e.session, 2, 5, {4, n}, {0, n});
  const auto raw = test::read_f32_file(out);
  REQUIRE(raw.size() == m.probs.size());
  CHECK(raw == m.probs);

  const auto j = nlohmann::json::parse(test::read_file(out.string() + ".json"));
  CHECK(j["model"] == "synth-qwen2-f32.gguf");
  CHECK(j["backend"] == "cpu");
  CHECK(j["layer"] == 2);
  CHECK(j["head"] == 5);
  CHECK(j["kv_head"] == 5 / e.model->desc().gqa_group());
  CHECK(j["n_queries"] == n - 4);
  CHECK(j["n_keys"] == n);
  CHECK(j["dtype"] == "float32");
  CHECK(j["shape"] == nlohmann::json::array({n - 4, n}));
  REQUIRE(j["query_positions"].size() == static_cast<size_t>(n - 4));
  REQUIRE(j["key_tokens"].size() == static_cast<size_t>(n));
  for (int64_t p = 0; p < n; ++p) {
    CHECK(j["key_positions"][static_cast<size_t>(p)] == p);
    CHECK(j["key_tokens"][static_cast<size_t>(p)] == e.display[static_cast<size_t>(p)]);
  }
  CHECK(j["query_positions"][0] == 4);
  CHECK(j["query_tokens"][0] == e.display[4]);
}

TEST_CASE("attention CSV has escaped token headers and the matrix values", "[attention][cli]") {
  const auto model_path = test::require_shared("models/stories260K.gguf");
  const auto out = test::temp_dir("attention_csv") / "map.csv";
  const auto r = run_cli({"-m", model_path.string(), "-p", kPrompt, "--layer", "4", "--head", "7",
                          "--queries", "3:12", "--keys", "1:9", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  Expected e(model_path, true);  // stories260K adds BOS by default
  const auto m = e.backend->attention(*e.session, 4, 7, {3, 12}, {1, 9});
  const auto rows = parse_csv(test::read_file(out));
  REQUIRE(rows.size() == 1 + 9);
  REQUIRE(rows[0].size() == 1 + 8);
  CHECK(rows[0][0] == "query\\key");
  for (int64_t k = 1; k < 9; ++k) CHECK(rows[0][static_cast<size_t>(k)] == e.display[static_cast<size_t>(k)]);
  bool saw_comma = false, saw_quote = false;
  for (const auto& t : e.display)
    saw_comma |= t.find(',') != std::string::npos, saw_quote |= t.find('"') != std::string::npos;
  CHECK(saw_comma);  // the prompt exercises the escaping
  CHECK(saw_quote);
  for (int64_t q = 3; q < 12; ++q) {
    const auto& row = rows[static_cast<size_t>(q - 2)];
    REQUIRE(row.size() == 9);
    CHECK(row[0] == e.display[static_cast<size_t>(q)]);
    for (int64_t k = 1; k < 9; ++k) CHECK(std::stof(row[static_cast<size_t>(k)]) == m.at(q, k));
  }
}

TEST_CASE("attention --summary writes every layer and head", "[attention][cli]") {
  const auto model_path = test::require_shared("models/synthetic/synth-llama-Q4_K_M.gguf");
  const auto out = test::temp_dir("attention_summary") / "summary.csv";
  const auto r = run_cli({"-m", model_path.string(), "-p", kPrompt, "--summary", "--no-bos", "--queries",
                          "2:", "--out", out.string()});
  INFO(r.err);
  REQUIRE(r.status == 0);
  Expected e(model_path, false);
  REQUIRE(e.tokens.front() != e.bos_id);
  const auto s = e.backend->attention_summary(*e.session, {2, static_cast<int64_t>(e.tokens.size())});
  const auto rows = parse_csv(test::read_file(out));
  REQUIRE(rows.size() == 1 + s.size());
  CHECK(rows[0] ==
        std::vector<std::string>{"layer", "head", "kv_head", "max_prob", "entropy", "first_token"});
  for (size_t i = 0; i < s.size(); ++i) {
    const auto& row = rows[i + 1];
    REQUIRE(row.size() == 6);
    CHECK(std::stoll(row[0]) == s[i].layer);
    CHECK(std::stoll(row[1]) == s[i].head);
    CHECK(std::stoll(row[2]) == s[i].head / e.model->desc().gqa_group());
    CHECK(std::stof(row[3]) == s[i].max_prob);
    CHECK(std::stof(row[4]) == s[i].entropy);
    CHECK(std::stof(row[5]) == s[i].first_token);
  }
}

TEST_CASE("attention rejects bad flags with one-line errors", "[attention][cli]") {
  const std::string model = test::require_shared("models/stories260K.gguf").string();
  const auto out = (test::temp_dir("attention_errors") / "x.csv").string();
  struct Case {
    std::vector<std::string> args;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"-p", "hi", "--layer", "5", "--head", "0"}, 2, "--layer 5 is out of range: the model has 5 layers"},
      {{"-p", "hi", "--layer", "0", "--head", "8"}, 2, "--head 8 is out of range: the model has 8 heads"},
      {{"-p", "hi", "--layer", "-1", "--head", "0"}, 2, "--layer -1 is out of range"},
      {{"-p", "", "--layer", "0", "--head", "0"}, 2, "--prompt is empty"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--queries", "0:40"},
       2,
       "--queries 0:40 is outside the sequence of"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--keys", "2:1"}, 2, "--keys 2:1 is empty"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--keys", "x:1"}, 2, "--keys expects A:B"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--format", "npy"}, 2, "--format must be csv or f32"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--bos", "--no-bos"}, 2, "exclude each other"},
      {{"-p", "hi", "--summary", "--layer", "0"}, 2, "--summary covers every layer"},
      {{"-p", "hi", "--head", "0"}, 2, "missing required option --layer"},
      {{"-p", "hi", "--layer", "0", "--head", "0", "--backend", "nope"}, 2, "unknown backend 'nope'"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"-m", model, "--out", out};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_cli(args);
    INFO(r.err);
    CHECK(r.status == c.status);
    // The default backend is auto, which first says which backend it chose (one informational line).
    std::string err = r.err;
    if (err.rfind("backend: ", 0) == 0) err.erase(0, err.find('\n') + 1);
    CHECK(err.find(c.message) != std::string::npos);
    CHECK(err.rfind("glasswing-cli attention: ", 0) == 0);
    CHECK(std::count(err.begin(), err.end(), '\n') <= 2);  // the message, then the usage line
  }
  const auto missing =
      run_cli({"-m", "/nonexistent/model.gguf", "-p", "hi", "--layer", "0", "--head", "0", "--out", out});
  CHECK(missing.status == 1);
  CHECK(std::count(missing.err.begin(), missing.err.end(), '\n') == 1);
}
