#include "inference/model/session.h"

#include <algorithm>
#include <stdexcept>

#include "inference/model/backend.h"
#include "inference/model/model.h"

namespace glasswing::model {

Session::Session(const Model& model, Backend& backend, int64_t n_ctx) : model_(&model), backend_(&backend) {
  const int64_t trained = model.desc().n_ctx_max;  // (n_ctx_train, or where a missing step would start)
  n_ctx_ = n_ctx <= 0 ? std::min(trained, kDefaultContext) : std::min(trained, n_ctx);
  tokens_.reserve(static_cast<size_t>(n_ctx_));
  logits_buffer_.resize(static_cast<size_t>(model.desc().n_vocab));
  caches_ = backend.create_caches(n_ctx_);
}

void Session::truncate(int64_t n_tokens) {
  if (n_tokens < 0 || n_tokens > position())
    throw std::out_of_range("cannot truncate a session of " + std::to_string(position()) + " tokens to " +
                            std::to_string(n_tokens));
  const int64_t from = n_tokens < position() ? caches_->rewind(n_tokens) : n_tokens;
  if (from < n_tokens) {
    const std::vector<int32_t> again(tokens_.begin() + from, tokens_.begin() + n_tokens);
    tokens_.resize(static_cast<size_t>(from));
    backend_->forward(*this, again, false);
  }
  tokens_.resize(static_cast<size_t>(n_tokens));
  logits_ = {};
}

}  // namespace glasswing::model
