#pragma once
// ChatEngine over the real engine (inference/model, tokenizer, chat templates, sampler).
#include <memory>

#include "ui/backend/chat_engine.h"
#include "ui/core/model_probe.h"

namespace glasswing::ui {

std::unique_ptr<ChatEngine> create_engine();
// Architectures the engine runs and the memory it may use; cheap, callable from any thread.
EngineCapabilities engine_capabilities();

}  // namespace glasswing::ui
