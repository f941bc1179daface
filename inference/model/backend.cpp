#include "inference/model/backend.h"

#include <cmath>

#include "inference/model/model.h"

namespace glasswing::model {

namespace {
// What a layer without attention does instead, for messages.
const char* mixer_words(const ModelDescription& d, ModelDescription::Mixer m) {
  if (m == ModelDescription::Mixer::DeltaNet && d.delta.kda) return "mixes tokens by Kimi Delta Attention";
  switch (m) {
    case ModelDescription::Mixer::ShortConv:
      return "mixes tokens by a short convolution";
    case ModelDescription::Mixer::DeltaNet:
      return "mixes tokens by a gated delta net";
    case ModelDescription::Mixer::Mamba2:
      return "mixes tokens by a Mamba-2 state space";
    case ModelDescription::Mixer::Mamba1:
      return "mixes tokens by a Mamba-1 state space";
    case ModelDescription::Mixer::None:
      return "is an FFN layer (it mixes no tokens)";
    case ModelDescription::Mixer::Linear:
      return "replaces attention by one linear map (it mixes no tokens)";
    case ModelDescription::Mixer::Attention:
    case ModelDescription::Mixer::Mamba2Attention:  // (Falcon-H1: attends beside its Mamba-2)
      break;
  }
  return "attends";
}

void check_range(const char* what, Range r, int64_t limit) {
  if (r.begin < 0 || r.end < r.begin || r.end > limit)
    throw std::out_of_range(std::string(what) + " range [" + std::to_string(r.begin) + ", " +
                            std::to_string(r.end) + ") is outside the session's " + std::to_string(limit) +
                            " positions");
}
}  // namespace

std::span<const float> Backend::forward(Session& session, std::span<const int32_t> tokens,
                                        bool want_all_logits) {
  const auto& d = session.model().desc();
  if (&session.backend() != this)
    throw std::invalid_argument("the session belongs to the " + session.backend().name() +
                                " backend, not this " + name() + " one");
  if (tokens.empty()) throw std::invalid_argument("forward() needs at least one token");
  if (static_cast<int64_t>(tokens.size()) > session.remaining())
    throw ContextFullError("cannot evaluate " + std::to_string(tokens.size()) + " tokens at position " +
                           std::to_string(session.position()) + ": the context holds " +
                           std::to_string(session.n_ctx()) + " tokens");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= d.n_vocab)
      throw std::out_of_range("token id " + std::to_string(tokens[i]) + " (at index " + std::to_string(i) +
                              ") is outside the vocabulary of " + std::to_string(d.n_vocab) + " tokens");
  const size_t n_logits = static_cast<size_t>(d.n_vocab) * (want_all_logits ? tokens.size() : 1);
  if (session.logits_buffer().size() < n_logits) session.logits_buffer().resize(n_logits);
  // A recurrent state's checkpoints (SessionCaches::rewind): before every prompt, before its last token (or
  // after it, when all its logits are wanted), and every kCheckpointEvery positions of one-token steps, so
  // that going back (an edit, a regenerate) evaluates a few dozen tokens again, not the conversation.
  SessionCaches& caches = session.caches();
  const bool prompt = tokens.size() > 1;
  if (caches.recurrent() && session.position() > caches.newest_checkpoint() &&
      (prompt || session.position() - caches.newest_checkpoint() >= kCheckpointEvery))
    caches.checkpoint(session.position());
  std::vector<int32_t>& seen = session.mutable_tokens();
  if (caches.recurrent() && prompt && !want_all_logits) {
    // All but the prompt's last token, a checkpoint there, then the last token: going back to that point is
    // what a regenerate does (a chat evaluates its prompt's last token again for the logits it needs).
    forward_impl(session, tokens.first(tokens.size() - 1), false);
    seen.insert(seen.end(), tokens.begin(), tokens.end() - 1);
    caches.checkpoint(session.position());
    forward_impl(session, tokens.last(1), false);
    seen.push_back(tokens.back());
  } else {
    forward_impl(session, tokens, want_all_logits);
    seen.insert(seen.end(), tokens.begin(), tokens.end());
    if (caches.recurrent() && prompt) caches.checkpoint(session.position());
  }
  session.set_logits({session.logits_buffer().data(), n_logits});
  return session.logits();
}

AttentionMatrix Backend::attention(const Session& session, int64_t layer, int64_t head, Range queries,
                                   Range keys) {
  const auto& d = session.model().desc();
  if (&session.backend() != this) throw std::invalid_argument("the session belongs to another backend");
  // (a pure state-space model: no layer to look at, and no head to name)
  if (d.n_attention_layers() == 0)
    throw std::invalid_argument(d.architecture + " has no attention layers: every layer " +
                                mixer_words(d, d.mixer(0)) + ", so there is no attention map");
  if (layer < 0 || layer >= d.n_layer)
    throw std::out_of_range("layer " + std::to_string(layer) + " out of range");
  if (head < 0 || head >= d.n_head) throw std::out_of_range("head " + std::to_string(head) + " out of range");
  if (!d.has_attention(layer))
    throw std::invalid_argument("layer " + std::to_string(layer) + " " +
                                // (deci's layers without attention: an FFN, or nothing at all)
                                (d.traits->block_configs && d.mixer(layer) == ModelDescription::Mixer::None
                                     ? std::string(d.has_ffn(layer) ? "has no attention (only its FFN)"
                                                                    : "has no attention and no FFN")
                                     : mixer_words(d, d.mixer(layer))) +
                                ", not attention: it has no attention map");
  check_range("query", queries, session.position());
  check_range("key", keys, session.position());
  return attention_impl(session, layer, head, queries, keys);
}

std::vector<HeadSummary> Backend::attention_summary(const Session& session, Range queries) {
  if (&session.backend() != this) throw std::invalid_argument("the session belongs to another backend");
  check_range("query", queries, session.position());
  std::vector<HeadSummary> out = attention_summary_impl(session, queries);
  // the heads of a layer without attention (LFM2's convolutions, Qwen3.5's delta nets) have nothing to sum up
  const auto& d = session.model().desc();
  for (HeadSummary& h : out)
    if (!d.has_attention(h.layer)) h.max_prob = h.entropy = h.first_token = NAN;
  return out;
}

}  // namespace glasswing::model
