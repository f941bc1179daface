// libFuzzer target for the GGUF parser. Any input must either parse or throw GgufError: a crash, a sanitizer
// report, another exception type, a hang or an out-of-memory is a bug. Files that parse are also copied with
// GgufWriter and re-read: the writer must accept whatever the reader accepts, and its output must be a fixed
// point (writing what it wrote gives the same bytes).
#include <cstdint>
#include <cstdlib>
#include <span>

#include "inference/gguf/gguf_file.h"
#include "inference/gguf/gguf_writer.h"

using namespace glasswing::gguf;

namespace {

std::vector<uint8_t> copy_of(const GgufFile& f) {
  GgufWriter w(f.version());
  for (const auto& [key, value] : f.metadata()) w.set(key, value);
  for (const auto& t : f.tensors()) w.add_tensor(t.name, t.type, t.dims, {t.data, t.n_bytes});
  return w.to_bytes();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> first;
  try {
    const GgufFile f = GgufFile::parse({data, size});
    // Touch what a caller would: every value's text and every tensor's first and last byte.
    for (const auto& [key, value] : f.metadata()) (void)value.to_display_string();
    for (const auto& t : f.tensors()) {
      volatile uint8_t edge = t.data[0] ^ t.data[t.n_bytes - 1];
      (void)edge;
      (void)t.shape_string();
    }
    first = copy_of(f);
  } catch (const GgufError&) {
    return 0;
  }
  // Past this point a GgufError is a bug too, so it is not caught.
  const std::vector<uint8_t> second = copy_of(GgufFile::parse(first));
  if (second != first) std::abort();
  return 0;
}
