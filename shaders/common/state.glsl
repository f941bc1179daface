// The per-step state the host writes before each submission (position, token ids), so recorded command
// buffers can be re-submitted without re-recording. C++ twin: vulkan::StepState.
layout(std430, binding = STATE_BINDING) readonly buffer State {
  uint n_past;    // position of the first token of this step
  uint n_tokens;  // tokens in this step
  uint state_pad0;
  uint state_pad1;
  uint token_ids[];
} st;
