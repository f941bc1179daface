// Perplexity: the trained model finds its own kind of text likely, a random-weight model does not, and the
// number is the exponential of the mean scored negative log-likelihood.
#include <catch2/catch.hpp>
#include <cmath>

#include "inference/cpu/cpu_backend.h"
#include "inference/model/model.h"
#include "inference/model/perplexity.h"
#include "inference/tokenizer/tokenizer.h"
#include "tests/test_support.h"

using namespace glasswing;

namespace {
const char* kStory =
    "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, "
    "she "
    "saw a big, red ball. She wanted to play with it, but it was too high. Lily asked her mom to help her. "
    "Her "
    "mom said, \"Let's try to get it together.\" They worked hard and got the ball down. Lily was very "
    "happy. "
    "She said thank you to her mom and they played with the ball all day.";

double perplexity_of(const std::string& model_file, int64_t n_ctx) {
  auto m = model::Model::load(test::require_shared(model_file));
  cpu::CpuBackend backend(*m);
  const auto tok = tokenizer::Tokenizer::from_gguf(m->file());
  const auto tokens = tok.encode(kStory, {.add_bos = true});
  model::Session session(*m, backend, n_ctx);
  int64_t reports = 0;
  const auto r =
      model::perplexity(backend, session, tokens, n_ctx, tok.bos_id(), [&](int64_t, double) { ++reports; });
  CHECK(r.windows == static_cast<int64_t>(tokens.size()) / n_ctx);
  CHECK(reports == r.windows);
  CHECK(r.scored_tokens == r.windows * (n_ctx - 1 - n_ctx / 2));
  return r.perplexity;
}
}  // namespace

TEST_CASE("Perplexity separates a trained model from a random one", "[engine][perplexity]") {
  const double trained = perplexity_of("models/stories260K.gguf", 32);
  const double random = perplexity_of("models/synthetic/synth-llama-Q8_0.gguf", 32);
  INFO("stories260K " << trained << ", synthetic " << random);
  CHECK(trained > 1.0);
  CHECK(trained < 10.0);  // a 512-token vocabulary: uniform guessing would give 512
  CHECK(random > 100.0);
}

TEST_CASE("Perplexity needs one full window", "[engine][perplexity]") {
  auto m = model::Model::load(test::require_shared("models/stories260K.gguf"));
  cpu::CpuBackend backend(*m);
  model::Session session(*m, backend, 64);
  const std::vector<int32_t> tokens(10, 5);
  CHECK_THROWS_AS(model::perplexity(backend, session, tokens, 64, 1), std::invalid_argument);
}
