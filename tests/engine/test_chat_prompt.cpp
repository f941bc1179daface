// Chat prompts: the model's template renders the conversation, BOS appears exactly once.
#include <catch2/catch.hpp>

#include "inference/gguf/gguf_writer.h"
#include "inference/model/chat_prompt.h"
#include "tests/engine/engine_test_util.h"
#include "tests/test_support.h"

using namespace glasswing;
using Catch::Matchers::Contains;

namespace {
// stories260K's bytes with a chat template added (or none).
std::vector<uint8_t> stories_with_template(const std::string& chat_template) {
  const auto in = gguf::GgufFile::open(test::require_shared("models/stories260K.gguf"));
  gguf::GgufWriter w;
  for (const auto& [key, value] : in.metadata())
    if (key != "general.alignment") w.set(key, value);
  if (!chat_template.empty()) w.set_string("tokenizer.chat_template", chat_template);
  for (const auto& t : in.tensors()) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  return w.to_bytes();
}

const chat::ChatMessage kHello{"user", "Once upon a time"};
}  // namespace

TEST_CASE("A chat prompt gets BOS once, from the template or from the metadata", "[engine][chat]") {
  const std::string body =
      "{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}{% if add_generation_prompt "
      "%}[assistant]"
      "{% endif %}";
  for (const std::string& tmpl : {"{{ bos_token }}" + body, body}) {
    INFO(tmpl);
    const auto bytes = stories_with_template(tmpl);
    const auto file = gguf::GgufFile::parse(bytes);
    const auto tok = tokenizer::Tokenizer::from_gguf(file);
    REQUIRE(tok.add_bos_by_default());
    const auto ids = model::encode_chat(file, tok, std::span(&kHello, 1));
    REQUIRE(ids.size() > 2);
    CHECK(ids[0] == tok.bos_id());
    CHECK(ids[1] != tok.bos_id());
    CHECK(tok.decode(std::span(ids).subspan(1)) == "[user]Once upon a time[assistant]");
  }
}

TEST_CASE("A chat prompt for a model without a template is refused", "[engine][chat]") {
  const auto bytes = stories_with_template("");
  const auto file = gguf::GgufFile::parse(bytes);
  const auto tok = tokenizer::Tokenizer::from_gguf(file);
  CHECK_THROWS_WITH(model::encode_chat(file, tok, std::span(&kHello, 1)), Contains("no chat template"));
}
