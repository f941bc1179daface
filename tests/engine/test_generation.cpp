// The Generator on the real stories260K model: greedy text, seeded sampling, every stop reason.
#include <algorithm>
#include <catch2/catch.hpp>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/generator.h"
#include "inference/model/model.h"
#include "inference/tokenizer/tokenizer.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"

using namespace glasswing;
using Catch::Matchers::Contains;

namespace {

struct Stories {
  std::unique_ptr<model::Model> model = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend backend{*model};
  tokenizer::Tokenizer tokenizer = tokenizer::Tokenizer::from_gguf(model->file());

  std::vector<int32_t> prompt(const std::string& text) const {
    return tokenizer.encode(text, {.add_bos = tokenizer.add_bos_by_default()});
  }
};

struct Output {
  std::vector<int32_t> tokens;
  std::string text;
  model::GenerationStats stats;
};

Output generate(Stories& s, model::Session& session, model::GenerationRequest request,
                const std::function<void(const Output&)>& after_token = {}) {
  Output out;
  model::Generator generator(s.backend, session, s.tokenizer);
  out.stats = generator.run(request, [&](int32_t id, std::string_view delta) {
    if (id >= 0) out.tokens.push_back(id);
    out.text += delta;
    if (after_token) after_token(out);
  });
  return out;
}

model::GenerationRequest request(std::vector<int32_t> prompt, const sampling::SamplerSettings& sampler,
                                 int64_t max_tokens, const std::atomic<bool>* stop = nullptr) {
  model::GenerationRequest r;
  r.prompt = std::move(prompt);
  r.sampler = sampler;
  r.max_tokens = max_tokens;
  r.stop = stop;
  return r;
}

sampling::SamplerSettings greedy() {
  sampling::SamplerSettings s;
  s.temperature = 0;
  return s;
}

}  // namespace

TEST_CASE("Greedy stories260K continues 'Once upon a time' like the reference", "[engine][generate]") {
  Stories s;
  model::Session session(*s.model, s.backend);
  const auto out = generate(s, session, request(s.prompt("Once upon a time"), greedy(), 24));
  // shared/README.md: the reference implementation's greedy continuation.
  const std::string reference =
      ", there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, "
      "red ball. She wanted to play with it,";
  INFO("generated: " << out.text);
  CHECK(out.tokens.size() == 24);
  CHECK(out.text.size() >= 60);  // 24 tokens of this small vocabulary: about three characters each
  CHECK(reference.rfind(out.text, 0) == 0);  // a prefix of the reference
  CHECK(out.stats.stop_reason == model::StopReason::MaxTokens);
  CHECK(out.stats.prompt_tokens == 5);
  CHECK(out.stats.generated_tokens == 24);
  CHECK(out.stats.unevaluated_token == out.tokens.back());
  CHECK(session.position() == 5 + 23);
}

TEST_CASE("The same seed and temperature give the same story, another seed another", "[engine][generate]") {
  Stories s;
  auto sample = [&](uint64_t seed) {
    sampling::SamplerSettings settings;
    settings.temperature = 1.0f;
    settings.seed = seed;
    model::Session session(*s.model, s.backend);
    return generate(s, session, request(s.prompt("Once upon a time"), settings, 40));
  };
  const auto a = sample(7), b = sample(7), c = sample(8);
  CHECK(a.tokens == b.tokens);
  CHECK(a.text == b.text);
  CHECK(a.tokens != c.tokens);
}

TEST_CASE("A prompt longer than the context is refused before any work", "[engine][generate]") {
  Stories s;
  model::Session session(*s.model, s.backend, 8);
  const auto prompt = s.prompt("Once upon a time there was a little girl named Lily");
  REQUIRE(prompt.size() > 8);
  model::Generator generator(s.backend, session, s.tokenizer);
  CHECK_THROWS_AS(generator.run(request(prompt, greedy(), 4), [](int32_t, std::string_view) {}),
                  model::ContextFullError);
  CHECK_THROWS_WITH(generator.run(request(prompt, greedy(), 4), [](int32_t, std::string_view) {}),
                    Contains("only 8 of the context's 8 positions are free"));
  CHECK(session.position() == 0);
}

TEST_CASE("Generation stops at a full context and on the stop flag", "[engine][generate]") {
  Stories s;
  const auto prompt = s.prompt("Once upon a time");
  SECTION("context full") {
    model::Session session(*s.model, s.backend, static_cast<int64_t>(prompt.size()) + 3);
    const auto out = generate(s, session, request(prompt, greedy(), 100));
    CHECK(out.stats.stop_reason == model::StopReason::ContextFull);
    CHECK(out.stats.generated_tokens == 4);  // three evaluated, the last sampled from a full context
    CHECK(session.remaining() == 0);
  }
  SECTION("stop flag already set") {
    std::atomic<bool> stop{true};
    model::Session session(*s.model, s.backend);
    const auto out = generate(s, session, request(prompt, greedy(), 100, &stop));
    CHECK(out.stats.stop_reason == model::StopReason::Stopped);
    CHECK(out.tokens.empty());
  }
  SECTION("stop flag set while generating") {
    std::atomic<bool> stop{false};
    model::Session session(*s.model, s.backend);
    const auto out = generate(s, session, request(prompt, greedy(), 100, &stop), [&](const Output& so_far) {
      if (so_far.tokens.size() == 5) stop = true;
    });
    CHECK(out.stats.stop_reason == model::StopReason::Stopped);
    CHECK(out.tokens.size() == 5);
  }
}

TEST_CASE("A text prompt is encoded with BOS like a token prompt", "[engine][generate]") {
  Stories s;
  model::Session by_tokens(*s.model, s.backend), by_text(*s.model, s.backend);
  const auto a = generate(s, by_tokens, request(s.prompt("Once upon a time"), greedy(), 8));
  model::GenerationRequest text_request;
  text_request.prompt_text = "Once upon a time";
  text_request.sampler = greedy();
  text_request.max_tokens = 8;
  const auto b = generate(s, by_text, text_request);
  CHECK(a.tokens == b.tokens);
  CHECK(by_text.tokens().front() == s.tokenizer.bos_id());
  CHECK(b.stats.prompt_tokens == 5);
}

TEST_CASE("Two generators stepped in turn on one backend give what each gives alone", "[engine][generate]") {
  Stories s;
  sampling::SamplerSettings sampled;
  sampled.temperature = 0.9f;
  sampled.seed = 7;
  const auto a_request = request(s.prompt("Once upon a time"), sampled, 40);
  const auto b_request = request(s.prompt("The dog"), greedy(), 40);
  model::Session alone_a(*s.model, s.backend), alone_b(*s.model, s.backend);
  const Output a = generate(s, alone_a, a_request);
  const Output b = generate(s, alone_b, b_request);
  REQUIRE(a.tokens.size() > 5);
  REQUIRE(b.tokens.size() > 5);

  // Interleaved: each session keeps its own caches and logits; the backend's scratch is shared.
  model::Session sa(*s.model, s.backend), sb(*s.model, s.backend);
  model::Generator ga(s.backend, sa, s.tokenizer), gb(s.backend, sb, s.tokenizer);
  Output ia, ib;
  auto into = [](Output& o) {
    return [&o](int32_t id, std::string_view delta) {
      if (id >= 0) o.tokens.push_back(id);
      o.text += delta;
    };
  };
  ga.start(a_request);
  gb.start(b_request);
  bool live_a = true, live_b = true;
  int steps = 0;
  while (live_a || live_b) {
    if (live_a) live_a = ga.step(into(ia));
    if (live_b) live_b = gb.step(into(ib));
    ++steps;
  }
  CHECK(ia.tokens == a.tokens);
  CHECK(ia.text == a.text);
  CHECK(ib.tokens == b.tokens);
  CHECK(ib.text == b.text);
  CHECK(ga.stats().stop_reason == a.stats.stop_reason);
  CHECK(ga.stats().generated_tokens == a.stats.generated_tokens);
  CHECK(ga.stats().decode_steps == a.stats.decode_steps);
  CHECK_FALSE(ga.step(into(ia)));  // ended: no more tokens
  CHECK(ia.tokens == a.tokens);
  CHECK(steps >= static_cast<int>(std::max(a.tokens.size(), b.tokens.size())));
}

TEST_CASE("Tokens the file suppresses are never drawn, and a bad list is refused by name", "[generation]") {
  Stories s;
  model::Session plain(*s.model, s.backend, 64);
  const Output before = generate(s, plain, request(s.prompt("Once upon a time"), greedy(), 8));
  REQUIRE(before.tokens.size() == 8);
  // the same model with greedy's choices at the first two steps suppressed (as Gemma 4 files list their image
  // and audio markers)
  const auto path = test::temp_dir("suppress") / "suppressed.gguf";
  const std::vector<int32_t> banned = {before.tokens[0], before.tokens[1]};
  test::rewrite_model(s.model->file().path(), path, [&](gguf::GgufWriter& w) {
    gguf::Array a;
    a.elem_type = gguf::ValueType::Int32;
    a.ints.assign(banned.begin(), banned.end());
    w.set_array("tokenizer.ggml.suppress_tokens", a);
  });
  const auto model = model::Model::load(path);
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
  REQUIRE(tokenizer.suppressed_tokens().size() == 2);
  cpu::CpuBackend backend(*model);
  model::Session session(*model, backend, 64);
  model::Generator generator(backend, session, tokenizer);
  std::vector<int32_t> got;
  generator.run(request(s.prompt("Once upon a time"), greedy(), 8), [&](int32_t id, std::string_view) {
    if (id >= 0) got.push_back(id);
  });
  REQUIRE_FALSE(got.empty());
  CHECK(got[0] != before.tokens[0]);
  for (int32_t id : got) CHECK(std::find(banned.begin(), banned.end(), id) == banned.end());

  test::rewrite_model(s.model->file().path(), path, [&](gguf::GgufWriter& w) {
    gguf::Array a;
    a.elem_type = gguf::ValueType::Int32;
    a.ints = {5, 1 << 20};
    w.set_array("tokenizer.ggml.suppress_tokens", a);
  });
  CHECK_THROWS_WITH(tokenizer::Tokenizer::from_gguf(model::Model::load(path)->file()),
                    Contains("tokenizer.ggml.suppress_tokens holds 1048576, outside the vocabulary"));
}
