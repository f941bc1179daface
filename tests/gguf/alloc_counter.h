#pragma once
// Counts the heap bytes the test executable has live (it replaces global operator new/delete), so a test can
// measure the peak memory of one call: reset_alloc_peak(); call(); alloc_peak() - before.
#include <cstddef>

namespace glasswing::test {

size_t alloc_live_bytes();
size_t alloc_peak_bytes();
void reset_alloc_peak();  // peak = live

}  // namespace glasswing::test
