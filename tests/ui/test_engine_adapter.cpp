// The app's adapter onto the real engine: device list, loading with progress, and a reply on every device it
// offers. A Vulkan device (lavapipe in CI) must give the same greedy reply as the CPU.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"
#include "tests/engine/engine_test_util.h"
#include "tests/gguf_copy.h"
#include "tests/test_support.h"
#include "tests/ui/memory_backends.h"
#include "tests/ui/qt_test_app.h"
#include "ui/app/chat_controller.h"
#include "ui/backend/engine_adapter.h"
#if GLASSWING_HAVE_VULKAN
#include "inference/vulkan/backend_choice.h"
#include "inference/vulkan/fault_injection.h"
#endif

using namespace glasswing;

namespace {

struct Reply {
  std::string text;
  ui::StopReason reason = ui::StopReason::Stopped;
};

// A fresh session's reply to "Once upon a time" (24 tokens: neither setting below ends the story sooner).
Reply reply_with(ui::ChatEngine& engine, const ui::GenerationSettings& settings) {
  auto session = engine.new_session();
  std::atomic<bool> stop{false};
  ui::GenerationStats stats;
  Reply r;
  r.reason = session->generate(
      {{"user", "Once upon a time"}}, settings,
      [&](std::string_view piece, const ui::GenerationStats&) { r.text += piece; }, stop, stats);
  CHECK(stats.generated_tokens == 24);
  return r;
}

ui::GenerationSettings greedy_settings() {
  ui::GenerationSettings settings;
  settings.temperature = 0;
  settings.repetition_penalty = 1.0;
  settings.max_tokens = 24;
  return settings;
}

Reply greedy_reply(ui::ChatEngine& engine) {
  return reply_with(engine, greedy_settings());
}

// The first exchange of a chat on `engine`'s loaded model (a greedy reply of 12 tokens to "hello world"),
// once it is checked that a regenerate gives the same reply and that the next turn gives what a fresh
// session gives (a recurrent state restored from its checkpoints must be exact); the session is left
// holding it.
struct FirstExchange {
  std::unique_ptr<ui::ChatSession> session;
  ui::ChatTurn user;
  std::string reply;
};
FirstExchange check_regenerate_and_next_turn(ui::ChatEngine& engine) {
  ui::GenerationSettings settings = greedy_settings();
  settings.max_tokens = 12;
  std::atomic<bool> stop{false};
  ui::GenerationStats stats;
  const auto reply_to = [&](ui::ChatSession& session, const std::vector<ui::ChatTurn>& turns) {
    std::string text;
    session.generate(
        turns, settings, [&](std::string_view piece, const ui::GenerationStats&) { text += piece; }, stop,
        stats);
    return text;
  };
  FirstExchange e{engine.new_session(), {"user", "hello world"}, {}};
  e.reply = reply_to(*e.session, {e.user});
  REQUIRE_FALSE(e.reply.empty());
  CHECK(reply_to(*e.session, {e.user}) == e.reply);  // a regenerate
  const std::vector<ui::ChatTurn> next = {e.user, {"assistant", e.reply}, {"user", "and then"}};
  const std::string second = reply_to(*e.session, next);
  auto fresh = engine.new_session();
  CHECK(reply_to(*fresh, next) == second);
  return e;
}

std::vector<double> load(ui::ChatEngine& engine, const std::string& device, ui::LoadedModel& info) {
  std::vector<double> progress;
  info = engine.load(test::require_shared("models/stories260K.gguf").string(), device,
                     [&](double p) { progress.push_back(p); });
  return progress;
}

#if GLASSWING_HAVE_VULKAN
// The first Vulkan entry of devices(); exits 77 (skipped) when there is none.
std::string first_vulkan_device(ui::ChatEngine& engine) {
  for (const auto& d : engine.devices())
    if (d.rfind("Vulkan: ", 0) == 0) return d;
  std::cout << "SKIP: no Vulkan device on this machine (install mesa-vulkan-drivers for lavapipe)\n";
  std::exit(77);
}

// Disarms the fault seam (inference/vulkan/fault_injection.h) when a test ends, however it ends.
struct Disarm {
  ~Disarm() { vulkan::fault::arm(""); }
};
#endif

}  // namespace

TEST_CASE("The engine adapter loads and replies on the CPU and on every Vulkan device it lists",
          "[ui][engine]") {
  auto engine = ui::create_engine();
  const auto devices = engine->devices();
  REQUIRE(std::find(devices.begin(), devices.end(), "CPU") != devices.end());

  ui::LoadedModel cpu_info;
  const auto cpu_progress = load(*engine, "CPU", cpu_info);
  CHECK(cpu_info.backend == "CPU");
  CHECK(cpu_info.fallback_reason.empty());
  REQUIRE_FALSE(cpu_progress.empty());
  CHECK(std::is_sorted(cpu_progress.begin(), cpu_progress.end()));
  CHECK(cpu_progress.back() == 1.0);
  const Reply cpu_reply = greedy_reply(*engine);
  CHECK(cpu_reply.text.rfind(", there was a little girl named Lily", 0) == 0);

  for (const auto& device : devices) {
    if (device.rfind("Vulkan: ", 0) != 0) continue;
    INFO("device " << device);
    ui::LoadedModel info;
    const auto progress = load(*engine, device, info);
    CHECK(info.backend == "Vulkan");
    CHECK(info.fallback_reason.empty());
    CHECK(std::is_sorted(progress.begin(), progress.end()));
    CHECK(progress.back() == 1.0);
    // The weight upload reports in between loading the file (0.6) and done (1.0).
    CHECK(std::any_of(progress.begin(), progress.end(), [](double p) { return p > 0.6 && p < 1.0; }));
    CHECK(greedy_reply(*engine).text == cpu_reply.text);
  }
}

TEST_CASE("Auto runs on a real GPU when there is one, else on the CPU engine and says why", "[ui][engine]") {
  auto engine = ui::create_engine();
  ui::LoadedModel info;
  load(*engine, "Auto", info);
#if GLASSWING_HAVE_VULKAN
  const auto choice = vulkan::choose_auto_backend("");
  if (choice.backend == "vulkan") {
    CHECK(info.backend == "Vulkan");
    CHECK(info.fallback_reason.empty());
  } else {
    CHECK(info.backend == "CPU");
    CHECK(info.fallback_reason == choice.reason);
  }
#else
  CHECK(info.backend == "CPU");
  CHECK(info.fallback_reason == "this build has no GPU backend");
#endif
  CHECK_FALSE(greedy_reply(*engine).text.empty());
}

#if GLASSWING_HAVE_VULKAN
TEST_CASE("Auto falls back to the CPU engine when the GPU is lost while loading, and says why",
          "[ui][engine]") {
  auto engine = ui::create_engine();
  first_vulkan_device(*engine);
  Disarm disarm;
  // Auto declines a CPU implementation such as lavapipe unless the user names the device.
  ::setenv("GLASSWING_VULKAN_DEVICE", "0", 1);
  vulkan::fault::arm("device-lost@transfer:2");
  ui::LoadedModel info;
  load(*engine, "Auto", info);
  ::unsetenv("GLASSWING_VULKAN_DEVICE");
  INFO(info.fallback_reason);
  CHECK(info.backend == "CPU");
  CHECK_THAT(info.fallback_reason, Catch::StartsWith("Vulkan could not start: ") &&
                                       Catch::Contains("VK_ERROR_DEVICE_LOST") &&
                                       Catch::Contains("device lost"));
  CHECK_FALSE(greedy_reply(*engine).text.empty());
}

TEST_CASE("A GPU lost mid-reply keeps the partial reply, marks it failed and shows the error",
          "[ui][engine]") {
  const std::string device = first_vulkan_device(*ui::create_engine());
  Disarm disarm;
  test::ensure_qt_app();
  auto data = std::make_shared<test::MemoryStoreData>();
  ui::Backends b;
  b.store = [data] { return std::make_unique<test::MemoryStore>(data); };
  b.engine = [] { return ui::create_engine(); };
  b.capabilities = [] { return ui::engine_capabilities(); };
  ui::ChatController controller(b);
  controller.settings()->setTemperature(0);  // greedy: no end of text within the first tokens
  controller.start(QString::fromStdString(test::require_shared("models/stories260K.gguf").string()),
                   QString::fromStdString(device));
  REQUIRE(test::wait_until([&] { return controller.modelLoaded(); }, 60000));
  REQUIRE(controller.backendName() == "Vulkan");

  // Compute submissions: the prompt, then one per token; the third is lost after two tokens were shown.
  vulkan::fault::arm("device-lost@compute:3");
  REQUIRE(controller.send("Once upon a time"));
  REQUIRE(test::wait_until([&] { return !controller.generating(); }, 60000));
  auto* messages = controller.messages();
  REQUIRE(messages->rowCount() == 2);
  const QString partial = messages->data(messages->index(1), ui::MessageListModel::TextRole).toString();
  INFO("partial reply: " << partial.toStdString() << "\nerror: " << controller.lastError().toStdString());
  CHECK_FALSE(partial.isEmpty());
  CHECK(messages->data(messages->index(1), ui::MessageListModel::StateRole).toString() == "failed");
  CHECK(controller.lastError().contains("VK_ERROR_DEVICE_LOST"));
  CHECK(controller.lastError().contains("device lost"));
  {
    // The store has the same partial text, failed, with the error.
    std::lock_guard lock(data->mutex);
    const auto& stored = data->messages.at(messages->messageIdAt(1)).second;
    CHECK(stored.text == partial.toStdString());
    CHECK(stored.state == ui::MessageState::Failed);
  }

  // The lost GPU refuses every later reply at once with the same error, until the model is loaded again.
  const QString error = controller.lastError();
  REQUIRE(controller.regenerate(1));
  REQUIRE(test::wait_until([&] { return !controller.generating(); }, 60000));
  CHECK(messages->data(messages->index(1), ui::MessageListModel::StateRole).toString() == "failed");
  CHECK(messages->data(messages->index(1), ui::MessageListModel::TextRole).toString().isEmpty());
  CHECK(controller.lastError() == error);
  controller.loadModel(QString::fromStdString(test::require_shared("models/stories260K.gguf").string()));
  REQUIRE(test::wait_until([&] { return controller.modelLoaded() && !controller.modelLoading(); }, 60000));
  REQUIRE(controller.regenerate(1));
  REQUIRE(test::wait_until([&] { return !controller.generating(); }, 60000));
  CHECK(messages->data(messages->index(1), ui::MessageListModel::StateRole).toString() == "complete");
}
#endif

namespace {

// "CPU" and every "Vulkan: …" entry of the engine's device list.
std::vector<std::string> cpu_and_gpus(ui::ChatEngine& engine) {
  std::vector<std::string> devices{"CPU"};
  for (const auto& d : engine.devices())
    if (d.rfind("Vulkan: ", 0) == 0) devices.push_back(d);
  return devices;
}

std::string joined(const std::vector<std::string>& tokens, int begin, int end) {
  std::string out;
  for (int i = begin; i < end; ++i) out += tokens[static_cast<size_t>(i)];
  return out;
}

// Inspects `turns` (ending with a reply) and checks what any backend must give: every head summarised, and a
// map whose rows are probability distributions over the keys each query sees, NaN after it.
ui::AttentionContext inspect_and_check(ui::ChatSession& session, const std::vector<ui::ChatTurn>& turns,
                                       ui::AttentionMap& map) {
  const ui::AttentionContext ctx = session.inspect_attention(turns, {});
  REQUIRE(ctx.layers == 5);
  REQUIRE(ctx.heads == 8);
  CHECK(ctx.kv_heads == 4);
  REQUIRE(ctx.overview.size() == 40);
  REQUIRE(ctx.message_begin > 0);
  REQUIRE(ctx.message_end == static_cast<int>(ctx.tokens.size()));
  CHECK(ctx.overview_end == ctx.message_end);
  for (const auto& h : ctx.overview) {
    CHECK(h.entropy >= 0);
    CHECK(std::isfinite(h.entropy));
    CHECK(h.max_prob > 0);
    CHECK(h.max_prob <= 1.0001f);
    CHECK(h.first_token >= 0);
  }
  map = session.attention_map(2, 5, ctx.message_begin, ctx.message_end, 0, ctx.message_end);
  const int keys = ctx.message_end;
  REQUIRE(map.probs.size() == static_cast<size_t>((ctx.message_end - ctx.message_begin) * keys));
  for (int q = ctx.message_begin; q < ctx.message_end; ++q) {
    double sum = 0;
    int nan = 0;
    for (int k = 0; k < keys; ++k) {
      const float p = map.probs[static_cast<size_t>((q - ctx.message_begin) * keys + k)];
      if (std::isnan(p)) {
        ++nan;
        CHECK(k > q);
      } else {
        sum += p;
      }
    }
    CHECK(nan == keys - 1 - q);
    CHECK(sum == Approx(1.0).margin(1e-4));
  }
  return ctx;
}

}  // namespace

TEST_CASE(
    "The engine adapter shows a reply's attention: its own tokens and every head with rows that sum to 1",
    "[ui][engine][attention]") {
  auto engine = ui::create_engine();
  const std::vector<std::string> devices = cpu_and_gpus(*engine);

  std::optional<ui::AttentionMap> first_map;
  std::vector<ui::HeadOverview> first_overview;
  for (const auto& device : devices) {
    INFO("device " << device);
    ui::LoadedModel info;
    load(*engine, device, info);
    auto session = engine->new_session();
    ui::GenerationSettings settings;
    settings.temperature = 0;
    settings.max_tokens = 16;
    std::atomic<bool> stop{false};
    ui::GenerationStats stats;
    std::string reply;
    session->generate(
        {{"user", "Once upon a time"}}, settings,
        [&](std::string_view piece, const ui::GenerationStats&) { reply += piece; }, stop, stats);
    REQUIRE_FALSE(reply.empty());

    ui::AttentionMap map;
    const auto ctx = inspect_and_check(*session, {{"user", "Once upon a time"}, {"assistant", reply}}, map);
    // A model without a chat template reads the turns one per line: the reply's tokens are its line.
    CHECK(joined(ctx.tokens, ctx.message_begin, ctx.message_end) == "\n" + reply);
    CHECK(joined(ctx.tokens, 0, ctx.message_begin) == "<s> Once upon a time");  // BOS as written

    // Every device shows the same attention (f32 softmax of the same caches, to rounding).
    if (!first_map) {
      first_map = map;
      first_overview = ctx.overview;
    } else {
      REQUIRE(map.probs.size() == first_map->probs.size());
      for (size_t i = 0; i < map.probs.size(); ++i)
        if (!std::isnan(map.probs[i])) CHECK(map.probs[i] == Approx(first_map->probs[i]).margin(1e-4));
      for (size_t i = 0; i < ctx.overview.size(); ++i)
        CHECK(ctx.overview[i].entropy == Approx(first_overview[i].entropy).margin(1e-3));
    }

    // The user's message is inspectable too; the map then covers its tokens only.
    const auto user = session->inspect_attention({{"user", "Once upon a time"}}, {});
    CHECK(user.message_begin == 1);  // after BOS
    CHECK(user.message_end == ctx.message_begin);

    // A reply changes the caches: maps of the old inspection are refused until the next one.
    session->generate(
        {{"user", "Once upon a time"}}, settings, [](std::string_view, const ui::GenerationStats&) {}, stop,
        stats);
    CHECK_THROWS_WITH(session->attention_map(0, 0, 1, 2, 0, 2), Catch::Contains("inspect it again"));
    // Out of range: the backend's own message.
    session->inspect_attention({{"user", "Once upon a time"}}, {});
    CHECK_THROWS_WITH(session->attention_map(9, 0, 1, 2, 0, 2), Catch::Contains("layer 9"));
    ui::GenerationSettings tiny;
    tiny.context_length = 4;
    CHECK_THROWS_WITH(session->inspect_attention({{"user", "Once upon a time"}, {"assistant", reply}}, tiny),
                      Catch::Contains("more than the context of 4"));
  }
}

namespace {

// stories260K with a chat template added, written to a temporary file (removed when the object dies).
struct TemplatedModel {
  std::filesystem::path path;
  TemplatedModel(const std::string& chat_template, const std::string& name) {
    const auto in = gguf::GgufFile::open(test::require_shared("models/stories260K.gguf"));
    gguf::GgufWriter w;
    test::copy_metadata(in, w);
    w.set_string("tokenizer.chat_template", chat_template);
    test::copy_tensors(in, w);
    path = std::filesystem::temp_directory_path() /
           ("glasswing-" + name + "-" + std::to_string(getpid()) + ".gguf");
    w.write(path.string());
  }
  ~TemplatedModel() { std::filesystem::remove(path); }
};

}  // namespace

TEST_CASE("With a chat template a reply's tokens start after the template's reply header",
          "[ui][engine][attention]") {
  const TemplatedModel model(
      "{{ bos_token }}{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% endif %}",
      "attention-template");
  auto engine = ui::create_engine();
  const ui::LoadedModel info = engine->load(model.path.string(), "CPU", [](double) {});
  CHECK(info.has_chat_template);
  CHECK_FALSE(info.thinking_switch);
  auto session = engine->new_session();
  ui::AttentionMap map;
  const auto ctx =
      inspect_and_check(*session, {{"user", "Once upon a time"}, {"assistant", "there was a cat."}}, map);
  CHECK(joined(ctx.tokens, 0, ctx.message_begin).find("<assistant>") != std::string::npos);
  CHECK(joined(ctx.tokens, ctx.message_begin, ctx.message_end) == "there was a cat.\n");
}

TEST_CASE("Thinking off is the template's enable_thinking false, where the template has the switch",
          "[ui][engine]") {
  // As Qwen3's template: with enable_thinking false a reply starts with an empty thinking block, in the
  // generation prompt and in the conversation's history alike.
  const TemplatedModel model(
      "{{ bos_token }}{% set off = enable_thinking is defined and enable_thinking is false %}"
      "{% for m in messages %}<{{ m.role }}>{% if m.role == 'assistant' and off %}Ok.\n{% endif %}"
      "{{ m.content }}\n{% endfor %}"
      "{% if add_generation_prompt %}<assistant>{% if off %}Ok.\n{% endif %}{% endif %}",
      "thinking-template");
  auto engine = ui::create_engine();
  const ui::LoadedModel info = engine->load(model.path.string(), "CPU", [](double) {});
  CHECK(info.thinking_switch);

  ui::GenerationSettings on = greedy_settings(), off = greedy_settings();
  off.thinking = false;
  int prompt_tokens[2] = {};
  for (const bool thinking : {true, false}) {
    INFO("thinking " << thinking);
    auto session = engine->new_session();
    std::atomic<bool> stop{false};
    ui::GenerationStats stats;
    session->generate(
        {{"user", "Once upon a time"}}, thinking ? on : off,
        [](std::string_view, const ui::GenerationStats&) {}, stop, stats);
    prompt_tokens[thinking ? 0 : 1] = stats.prompt_tokens;
    // the attention view reads what the reply read
    const auto ctx = session->inspect_attention(
        {{"user", "Once upon a time"}, {"assistant", "there was a cat."}}, thinking ? on : off);
    CHECK((joined(ctx.tokens, 0, ctx.message_begin).find("Ok.") != std::string::npos) == !thinking);
    CHECK(joined(ctx.tokens, ctx.message_begin, ctx.message_end) == "there was a cat.\n");
  }
  CHECK(prompt_tokens[1] > prompt_tokens[0]);
}

TEST_CASE("A harmony template (gpt-oss) reads a past reply's answer without its reasoning, and the effort",
          "[ui][engine]") {
  // gpt-oss's template refuses channel markup in content and drops past reasoning: a stored reply
  // "<think>…</think>answer" (what chat/harmony.h made of its channels) goes back as the answer alone; like
  // gpt-oss's it takes a reasoning effort, the settings' one
  const TemplatedModel model(
      "Reasoning: {{ reasoning_effort }}\n"
      "{% for m in messages %}<|start|>{{ m.role }}{% if m.role == 'assistant' %}<|channel|>final{% endif %}"
      "<|message|>{{ m.content }}<|end|>{% endfor %}{% if add_generation_prompt %}<|start|>assistant{% endif "
      "%}",
      "harmony-template");
  auto engine = ui::create_engine();
  const ui::LoadedModel info = engine->load(model.path.string(), "CPU", [](double) {});
  CHECK(info.reasoning_effort);
  CHECK_FALSE(info.thinking_switch);
  auto session = engine->new_session();
  ui::AttentionMap map;
  const auto ctx = inspect_and_check(
      *session, {{"user", "Once upon a time"}, {"assistant", "<think>A story.</think>there was a cat."}},
      map);
  const std::string message = joined(ctx.tokens, ctx.message_begin, ctx.message_end);
  CHECK(message.find("there was a cat.") != std::string::npos);
  CHECK(message.find("A story.") == std::string::npos);
  CHECK(message.find("think>") == std::string::npos);
  CHECK(joined(ctx.tokens, 0, ctx.message_begin).find("Reasoning: medium") != std::string::npos);
  ui::GenerationSettings high;
  high.reasoning_effort = "high";
  const auto ctx_high =
      session->inspect_attention({{"user", "Once upon a time"}, {"assistant", "there"}}, high);
  CHECK(joined(ctx_high.tokens, 0, ctx_high.message_begin).find("Reasoning: high") != std::string::npos);
}

TEST_CASE(
    "A Gemma 4-style template reads a past reply's answer without its reasoning channel, thinking as set",
    "[ui][engine]") {
  // Gemma 4's turn format (a template of our own): <|think|> in a system turn switches thinking on, a past
  // reply's reasoning channel is dropped, and with thinking off the reply header closes an empty channel. The
  // app stores the reply as "<think>…</think>answer" (what chat/gemma4_channels.h made of the channel), so
  // the template must get the answer alone: it only knows to drop <|channel>…<channel|>.
  const TemplatedModel model(
      "{{ bos_token }}{% if enable_thinking %}<|turn>system\n<|think|>\n<turn|>\n{% endif %}"
      "{% for m in messages %}<|turn>{{ 'model' if m.role == 'assistant' else m.role }}\n"
      "{% if m.role == 'assistant' %}{{ m.content.split('<channel|>')[-1] | trim }}{% else %}{{ m.content }}"
      "{% endif %}<turn|>\n{% endfor %}"
      "{% if add_generation_prompt %}<|turn>model\n{% if not enable_thinking %}<|channel>thought\n<channel|>"
      "{% endif %}{% endif %}",
      "gemma4-template");
  auto engine = ui::create_engine();
  const ui::LoadedModel info = engine->load(model.path.string(), "CPU", [](double) {});
  CHECK(info.thinking_switch);
  CHECK_FALSE(info.reasoning_effort);
  ui::GenerationSettings on = greedy_settings(), off = greedy_settings();
  off.thinking = false;
  for (const bool thinking : {true, false}) {
    INFO("thinking " << thinking);
    auto session = engine->new_session();
    const std::vector<ui::ChatTurn> turns = {{"user", "Once upon a time"},
                                             {"assistant", "<think>A story.</think>\n\nthere was a cat."}};
    const auto ctx = session->inspect_attention(turns, thinking ? on : off);
    CHECK(joined(ctx.tokens, ctx.message_begin, ctx.message_end) == "there was a cat.<turn|>\n");
    const std::string before = joined(ctx.tokens, 0, ctx.message_begin);
    CHECK((before.find("<|think|>") != std::string::npos) == thinking);
    CHECK(before.substr(before.size() - std::string("<|turn>model\n").size()) == "<|turn>model\n");
    // the whole conversation as the model read it
    CHECK(joined(ctx.tokens, 0, ctx.message_end) ==
          std::string("<s>") +
              (thinking ? " <|turn>system\n<|think|>\n<turn|>\n<|turn>user\n" : " <|turn>user\n") +
              "Once upon a time<turn|>\n<|turn>model\nthere was a cat.<turn|>\n");
  }
}

TEST_CASE("Compare answers both sides a token of each in turn with what a reply of the same seed says",
          "[ui][engine][compare]") {
  auto engine = ui::create_engine();
  const std::vector<std::string> devices = cpu_and_gpus(*engine);  // two sessions interleaved on a GPU too
  for (const auto& device : devices) {
    INFO("device " << device);
    ui::LoadedModel info;
    load(*engine, device, info);
    const Reply greedy = greedy_reply(*engine);

    ui::GenerationSettings sampled;
    sampled.temperature = 0.9;
    sampled.seed = 42;
    sampled.max_tokens = 24;
    const std::string sampled_reply = reply_with(*engine, sampled).text;
    std::atomic<bool> stop{false};

    std::array<ui::CompareSide, 2> sides{ui::CompareSide{{{"user", "Once upon a time"}}, sampled},
                                         ui::CompareSide{{{"user", "Once upon a time"}}, greedy_settings()}};
    std::array<std::string, 2> text;
    std::vector<int> order;
    std::array<ui::GenerationStats, 2> both;
    int greedy_tops = 0;
    const auto reasons = engine->compare(
        sides, 3,
        [&](const ui::CompareToken& t) {
          if (t.token >= 0) order.push_back(t.side);
          text[static_cast<size_t>(t.side)] += t.text;
          if (t.token < 0) return;
          // The model's three most likely tokens, most likely first; greedy B took the first of them.
          REQUIRE(t.candidates.size() == 3);
          CHECK(t.candidates[0].probability >= t.candidates[1].probability);
          CHECK(t.candidates[1].probability >= t.candidates[2].probability);
          CHECK(t.candidates[0].probability + t.candidates[1].probability + t.candidates[2].probability <=
                1.0001f);
          if (t.side == 1 && t.text == t.candidates[0].text) ++greedy_tops;
        },
        stop, both);
    CHECK(greedy_tops == 24);
    CHECK(text[0] == sampled_reply);
    CHECK(text[1] == greedy.text);
    CHECK(reasons[0] == ui::StopReason::MaxTokens);
    CHECK(both[0].generated_tokens == 24);
    CHECK(both[1].generated_tokens == 24);
    REQUIRE(order.size() == 48);
    for (size_t i = 0; i < order.size(); ++i) CHECK(order[i] == static_cast<int>(i % 2));

    // Seed 0 on both sides: one fresh seed for both, so the same settings give the same reply.
    sides[1].settings = sides[0].settings;
    sides[0].settings.seed = sides[1].settings.seed = 0;
    text = {};
    engine->compare(
        sides, 0, [&](const ui::CompareToken& t) { text[static_cast<size_t>(t.side)] += t.text; }, stop,
        both);
    CHECK(text[0] == text[1]);
    CHECK_FALSE(text[0].empty());
  }
}

TEST_CASE("A conversation longer than the context loses its earliest turns and still gets a reply",
          "[ui][engine]") {
  auto engine = ui::create_engine();
  ui::LoadedModel info;
  load(*engine, "CPU", info);
  auto session = engine->new_session();
  ui::GenerationSettings settings = greedy_settings();
  settings.context_length = 64;
  settings.max_tokens = 8;
  std::vector<ui::ChatTurn> turns{{"system", "Be kind"}};
  for (int i = 0; i < 6; ++i) {
    turns.push_back({"user", "Once upon a time there was a little girl named Lily"});
    turns.push_back({"assistant", "She liked to play with her ball in the park"});
  }
  turns.push_back({"user", "Tell me more"});
  std::atomic<bool> stop{false};
  ui::GenerationStats stats;
  std::string reply;
  session->generate(
      turns, settings, [&](std::string_view piece, const ui::GenerationStats&) { reply += piece; }, stop,
      stats);
  INFO("prompt " << stats.prompt_tokens << " tokens, " << stats.turns_left_out << " turns left out");
  CHECK_FALSE(reply.empty());
  CHECK(stats.turns_left_out > 0);
  CHECK(stats.turns_left_out % 2 == 0);  // whole exchanges: what is left starts with a user turn
  CHECK(stats.prompt_tokens + 8 <= 64);  // room for the reply
  CHECK(stats.prompt_tokens + 22 > 64);  // and no more was cut than needed (an exchange is ~22 tokens)

  // The attention view of that last message shows what the model read.
  const ui::AttentionContext ctx = session->inspect_attention(turns, settings);
  CHECK(ctx.turns_left_out == stats.turns_left_out);
  CHECK(ctx.message_end == stats.prompt_tokens);
  CHECK(joined(ctx.tokens, 0, ctx.message_begin).find("Be kind") != std::string::npos);

  // One turn longer than the context cannot be cut: the reply fails with the context named.
  std::string long_text;
  for (int i = 0; i < 12; ++i) long_text += "Once upon a time there was a little girl. ";
  CHECK_THROWS_WITH(
      session->generate(
          {{"user", long_text}}, settings, [](std::string_view, const ui::GenerationStats&) {}, stop, stats),
      Catch::Contains("context"));
}

TEST_CASE("A hybrid model's chat through the engine adapter: regenerates, next turns and attention views",
          "[ui][engine][hybrid]") {
  // Qwen3.5's shape (delta-net layers 0, 1, 3 and 4; attention on 2 and 5) and Kimi Linear's (Kimi Delta
  // Attention on layers 0 and 2, latent attention on 1 and 3): the regenerate goes back to the prompt's end,
  // where the recurrent state is restored from its checkpoint; the next turn keeps the conversation's tokens
  // and re-evaluates from the newest checkpoint before them. Both must give what a fresh session gives. The
  // overview shows the recurrent layers' heads as NaN and the attention layers' summed; a recurrent layer has
  // no map, an attention layer has one. On the CPU engine and on every Vulkan device listed.
  struct Hybrid {
    const char* shape;
    int layers;
    std::vector<int> attention_layers;
    int recurrent_layer;
    const char* no_map;  // what asking a recurrent layer for its map says
    int attention_layer;
  };
  const Hybrid hybrid = GENERATE(Hybrid{"test-tiny-qwen35", 6, {2, 5}, 0, "gated delta net", 5},
                                 Hybrid{"test-tiny-kimi-linear", 4, {1, 3}, 2, "Kimi Delta Attention", 3});
  INFO(hybrid.shape);
  const auto model_path = test::synth_model_file(hybrid.shape, gguf::GgmlType::F32);
  auto engine = ui::create_engine();
  for (const auto& device : cpu_and_gpus(*engine)) {
    INFO("device " << device);
    engine->load(model_path.string(), device, [](double) {});
    const auto [session, first, reply] = check_regenerate_and_next_turn(*engine);

    const ui::AttentionContext ctx = session->inspect_attention({first, {"assistant", reply}}, {});
    REQUIRE(ctx.layers == hybrid.layers);
    for (int l = 0; l < ctx.layers; ++l) {
      INFO("layer " << l);
      const bool attends = std::find(hybrid.attention_layers.begin(), hybrid.attention_layers.end(), l) !=
                           hybrid.attention_layers.end();
      CHECK(std::isnan(ctx.overview[static_cast<size_t>(l * ctx.heads)].entropy) == !attends);
    }
    CHECK_THROWS_WITH(session->attention_map(hybrid.recurrent_layer, 0, ctx.message_begin, ctx.message_end, 0,
                                             ctx.message_end),
                      Catch::Contains(hybrid.no_map));
    const ui::AttentionMap map = session->attention_map(hybrid.attention_layer, 1, ctx.message_begin,
                                                        ctx.message_end, 0, ctx.message_end);
    CHECK(map.probs.size() == static_cast<size_t>((ctx.message_end - ctx.message_begin) * ctx.message_end));
  }
}

TEST_CASE("A state-space model's chat through the engine adapter: regenerates, next turns, no attention view",
          "[ui][engine][hybrid]") {
  // Mamba-1 and Mamba-2 alone (test-tiny-mamba, test-tiny-mamba2): a regenerate and a next turn restore the
  // state from its checkpoints and give what a fresh session gives; the attention inspector says there is no
  // attention to look at. On the CPU engine and on every Vulkan device listed.
  for (const char* shape : {"test-tiny-mamba", "test-tiny-mamba2"}) {
    const auto model_path = test::synth_model_file(shape, gguf::GgmlType::F32);
    auto engine = ui::create_engine();
    for (const auto& device : cpu_and_gpus(*engine)) {
      INFO(shape << " on device " << device);
      engine->load(model_path.string(), device, [](double) {});
      const auto [session, first, reply] = check_regenerate_and_next_turn(*engine);
      CHECK_THROWS_WITH(session->inspect_attention({first, {"assistant", reply}}, {}),
                        Catch::Contains("has no attention layers"));
    }
  }
}
