#pragma once
// The three loops of one head's attention for one query over the f32 KV cache (the CPU engine's default,
// Rounding::Fast): scores, softmax, weighted sum of values. The cache keeps every position's keys (and
// values) of all KV heads in one row, so a head's keys are `stride` floats apart. AVX2/FMA where the CPU has
// it (checked once), portable C++ otherwise.
//
// Why not dot() and axpy() per key: with a 64-wide head each call did a few multiply-adds around a horizontal
// sum or a load-add-store of the output through memory, and the softmax called expf per key; at a depth of
// 1024 that was ~half of a decode step (docs/benchmarks.md, session 5). Here eight keys' scores come out of
// one transposing reduction, the output stays in registers across all values, and exp is evaluated eight
// lanes at a time.
#include <cstdint>

namespace glasswing::cpu {

// att[j] = scale * (q . k[j * stride .. + hd]) for j < n_keys.
void attention_scores(float* att, const float* q, const float* k, int64_t stride, int64_t n_keys, int64_t hd,
                      float scale);

// x = softmax(x) over n > 0 values (subtracting the max; relative error of each exp below 2e-7). Returns the
// max and the sum of exp(x - max) it divided by (what merging softmaxes over parts of a row needs).
struct SoftmaxStats {
  float max;
  double sum;
};
SoftmaxStats softmax_f32(float* x, int64_t n);

// An attention sink (gpt-oss: a logit per head that joins each softmax without a value) folded into
// probabilities softmax_f32 made of the rest of the row: each times S / (S + e^(sink − m)), where m is the
// larger of the row's max and the sink and S the row's exponentials' sum shifted to m. sink −inf: none
// (the factor is 1).
double sink_factor(SoftmaxStats row, float sink);
void fold_sink(float* p, int64_t n, SoftmaxStats row, float sink);

// out[0 .. hd) = sum over j < n_keys of p[j] * v[j * stride .. + hd].
void attention_values(float* out, const float* p, const float* v, int64_t stride, int64_t n_keys, int64_t hd);

// The queries of g heads that share one KV head (GQA), at once: query qi at q + qi * q_stride, its scores at
// att + qi * att_stride (attention_scores), its output at out + qi * out_stride from the probabilities at
// p + qi * p_stride (attention_values). Each key and value row is read from memory once for all g queries
// instead of once per query; each query's results are the same bits as the one-query functions'.
void attention_scores_group(float* att, int64_t att_stride, const float* q, int64_t q_stride, int64_t g,
                            const float* k, int64_t stride, int64_t n_keys, int64_t hd, float scale);
void attention_values_group(float* out, int64_t out_stride, const float* p, int64_t p_stride, int64_t g,
                            const float* v, int64_t stride, int64_t n_keys, int64_t hd);

}  // namespace glasswing::cpu
