#include "inference/tokenizer/pre_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>

namespace glasswing::tokenizer {

namespace {

// The GPT-2 word regex (without its final "|\s+" alternative: a whitespace character left unmatched
// becomes a gap piece on its own, which is the same word).
constexpr const char* kGpt2 = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

// Llama 3 / tiktoken cl100k style. The original starts with (?i:'s|'t|...); it is spelled out with
// explicit case classes so that UCP case folding cannot match 'ſ' or the Kelvin sign.
constexpr const char* kLlama3 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr const char* kQwen2 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Qwen 3.5: Qwen 2's, with combining marks (\p{M}) counted as letters.
constexpr const char* kQwen35 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Arcee Trinity (afmoe), as llama.cpp splits it: runs of digits cut from the right into threes (its leading
// 1 or 2 digits first: "1234567" is 1, 234, 567; llama.cpp's \p{AFMoE_digits}, here as a lookahead that
// leaves a multiple of three digits after each piece), then runs of CJK, Thai, Lao, Khmer, Myanmar, Javanese
// and Hangul characters, then the word regex (an ASCII punctuation mark glued to the ASCII letters after it,
// letters with marks, punctuation and symbols, newlines, spaces; digits are already pieces of their own).
constexpr const char* kAfmoeDigits = R"(\p{N}{1,3}(?=(?:\p{N}{3})*(?!\p{N})))";
constexpr const char* kAfmoeScripts =
    R"([\x{4E00}-\x{9FFF}\x{3400}-\x{4DBF}\x{F900}-\x{FAFF}\x{3040}-\x{309F}\x{30A0}-\x{30FF})"
    R"(\x{FF65}-\x{FF9F}\x{2F00}-\x{2FDF}\x{0E40}-\x{0E7F}\x{0E80}-\x{0EFF}\x{1780}-\x{17FF})"
    R"(\x{1000}-\x{109F}\x{AA60}-\x{AA7F}\x{A9E0}-\x{A9FF}\x{AC00}-\x{D7AF}\x{1100}-\x{11FF}]+)";
constexpr const char* kAfmoe =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// tiktoken o200k (GPT-4o, Llama 4).
constexpr const char* kGpt4o =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Mistral Tekken (as in its tokenizer.json).
constexpr const char* kTekken =
    R"([^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

constexpr const char* kChatGlm4 =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// DeepSeek LLM: newlines alone, then runs of cased letters (Unicode Lu/Ll/Lt blocks as listed in its
// tokenizer.json), ASCII and full-width punctuation runs, trailing whitespace, CJK/Hangul runs, digit runs.
// Non-ASCII characters are written as \x{...}: literal ones risk Unicode normalization in editors, which
// turns e.g. U+1F7D into U+03CE and breaks the ranges.
constexpr const char* kDeepseekLetters =
    R"(\s?[A-Za-z\x{00B5}\x{00C0}-\x{00D6}\x{00D8}-\x{00F6}\x{00F8}-\x{01BA}\x{01BC}-\x{01BF})"
    R"(\x{01C4}-\x{0293}\x{0295}-\x{02AF}\x{0370}-\x{0373}\x{0376}\x{0377}\x{037B}-\x{037D})"
    R"(\x{037F}\x{0386}\x{0388}-\x{038A}\x{038C}\x{038E}-\x{03A1}\x{03A3}-\x{03F5})"
    R"(\x{03F7}-\x{0481}\x{048A}-\x{052F}\x{0531}-\x{0556}\x{10A0}-\x{10C5}\x{13A0}-\x{13F5})"
    R"(\x{13F8}-\x{13FD}\x{1C90}-\x{1CBA}\x{1CBD}-\x{1CBF}\x{1D00}-\x{1D2B}\x{1D6B}-\x{1D77})"
    R"(\x{1D79}-\x{1D9A}\x{1E00}-\x{1F15}\x{1F18}-\x{1F1D}\x{1F20}-\x{1F45}\x{1F48}-\x{1F4D})"
    R"(\x{1F50}-\x{1F57}\x{1F59}\x{1F5B}\x{1F5D}\x{1F5F}-\x{1F7D}\x{1F80}-\x{1FB4})"
    R"(\x{1FB6}-\x{1FBC}\x{1FBE}\x{1FC2}-\x{1FC4}\x{1FC6}-\x{1FCC}\x{1FD0}-\x{1FD3})"
    R"(\x{1FD6}-\x{1FDB}\x{1FE0}-\x{1FEC}\x{1FF2}-\x{1FF4}\x{1FF6}-\x{1FFC}\x{2102}\x{2107})"
    R"(\x{210A}-\x{2113}\x{2115}\x{2119}-\x{211D}\x{2124}\x{2126}\x{2128}\x{212A}-\x{212D})"
    R"(\x{212F}-\x{2134}\x{2139}\x{213C}-\x{213F}\x{2145}-\x{2149}\x{214E}\x{2183}\x{2184})"
    R"(\x{2C00}-\x{2C7B}\x{2C7E}-\x{2CE4}\x{2CEB}-\x{2CEE}\x{2CF2}\x{2CF3}\x{A640}-\x{A66D})"
    R"(\x{A680}-\x{A69B}\x{A722}-\x{A76F}\x{A771}-\x{A787}\x{A78B}-\x{A78E}\x{AB70}-\x{ABBF})"
    R"(\x{FB00}-\x{FB06}\x{FB13}-\x{FB17}\x{FF21}-\x{FF3A}\x{FF41}-\x{FF5A}\x{10400}-\x{1044F})"
    R"(\x{104B0}-\x{104D3}\x{104D8}-\x{104FB}\x{10C80}-\x{10CB2}\x{10CC0}-\x{10CF2})"
    R"(\x{118A0}-\x{118DF}\x{1E900}-\x{1E943}]+)";
constexpr const char* kDeepseekPunct =
    R"(\s?[!-/:-~\x{FF01}-\x{FF0F}\x{FF1A}-\x{FF5E}\x{2018}-\x{201F}\x{3000}-\x{3002}]+)";
constexpr const char* kCjk = R"([\x{4E00}-\x{9FA5}\x{0800}-\x{4E00}\x{AC00}-\x{D7FF}]+)";

constexpr const char* kDeepseek3Mixed =
    R"([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Seed-Coder / Seed-OSS: Qwen 2's regex except that a punctuation run takes no newlines after it.
constexpr const char* kSeedCoder =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Ling / Ring (bailingmoe): contractions after the apostrophe only, and newlines one at a time after any
// whitespace.
constexpr const char* kBailing =
    R"('(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)";

// Kimi K2 (tokenization_kimi.py): o200k's pattern with Han runs split off and kept out of the letter classes.
// Its [X&&[^\p{Han}]] class intersections are written as a negative lookahead before each class.
#define GW_NOT_HAN_UPPER R"((?:(?!\p{Han})[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]))"
#define GW_NOT_HAN_LOWER R"((?:(?!\p{Han})[\p{Ll}\p{Lm}\p{Lo}\p{M}]))"
#define GW_CONTRACTION R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?)"
constexpr const char* kKimiK2 =
    R"(\p{Han}+|[^\r\n\p{L}\p{N}]?)" GW_NOT_HAN_UPPER "*" GW_NOT_HAN_LOWER "+" GW_CONTRACTION
    R"(|[^\r\n\p{L}\p{N}]?)" GW_NOT_HAN_UPPER "+" GW_NOT_HAN_LOWER "*" GW_CONTRACTION
    R"(|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
#undef GW_NOT_HAN_UPPER
#undef GW_NOT_HAN_LOWER
#undef GW_CONTRACTION

// Cohere's Tiny Aya and North (tiny_aya, cohere2moe): digit runs cut from the right into threes where they
// end a word (llama.cpp runs \d{1,3}(?=(?:\d{3})*\b) through std::wregex, whose \d and \b are ASCII: so
// "2024年" is 2, 024 but "1234abc" is not cut here), then GPT-4o's regex.
constexpr const char* kAyaDigits = R"([0-9]{1,3}(?=(?:[0-9]{3})*(?![0-9A-Za-z_])))";

// K-EXAONE (exaone-moe): Qwen 2's with a letter run that goes on across single spaces ("Hello big world" is
// one piece), letters keeping their combining marks, single digits, a punctuation run taking one newline or
// slash after it.
constexpr const char* kExaoneMoe =
    R"((?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?(?:\p{L}\p{M}*(?: \p{L}\p{M}*)*)+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]?|\s*[\r\n]|\s+(?!\S)|\s+)";

constexpr const char* kPoro = R"( ?[^(\s|.,!?\x{2026}\x{3002}\x{FF0C}\x{3001}\x{0964}\x{06D4}\x{060C})]+)";

struct Entry {
  std::vector<std::string> names;
  PreTokenizerSpec spec;
};

const std::vector<Entry>& table() {
  static const std::vector<Entry> t = [] {
    std::vector<Entry> e;
    auto add = [&](std::vector<std::string> names, std::vector<std::string> regexes,
                   bool ignore_merges = false, bool add_bos = false) {
      PreTokenizerSpec s;
      s.name = names.front();
      s.regexes = std::move(regexes);
      s.ignore_merges = ignore_merges;
      s.add_bos = add_bos;
      e.push_back({std::move(names), std::move(s)});
    };
    add({"default"}, {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2, R"(\p{N}+)", "[0-9][0-9][0-9]"});
    add({"gpt-2",    "gpt2",    "phi-2",      "mpt",        "olmo",       "jais",           "gpt-neox",
         "jina-es",  "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de", "jina-v2-code",   "roberta-bpe",
         "gigachat", "exaone4", "a.x-4.0",    "mellum",     "trillion",   "granite-docling"},
        {kGpt2});
    add({"llama3", "llama-bpe", "llama-v3", "falcon3", "falcon-h1", "pixtral", "lfm2"}, {kLlama3}, true,
        true);
    add({"dbrx", "smaug-bpe"}, {kLlama3});
    // (Hunyuan's and Grok 2's tokenizer.json regexes are Qwen 2's)
    add({"qwen2", "qwen2.5", "qwen-2.5", "deepseek-r1-qwen", "stablelm2", "megrez", "kormo", "hunyuan",
         "grok-2"},
        {kQwen2});
    add({"qwen35"}, {kQwen35});
    add({"seed-coder"}, {kSeedCoder});
    add({"bailingmoe", "bailingmoe2", "llada-moe"}, {kBailing});
    add({"kimi-k2"}, {kKimiK2});
    add({"starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b"},
        {R"(\p{N})", kGpt2});
    add({"falcon"}, {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"});
    add({"deepseek-llm"}, {"[\r\n]", kDeepseekLetters, kDeepseekPunct, R"(\s+$)", kCjk, R"(\p{N}+)"});
    add({"deepseek-coder"}, {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", kCjk, R"(\p{N})"});
    add({"deepseek-v3", "hunyuan-dense"},
        {R"(\p{N}{1,3})", R"([\x{4E00}-\x{9FA5}\x{3040}-\x{309F}\x{30A0}-\x{30FF}]+)", kDeepseek3Mixed});
    add({"chatglm-bpe", "glm4"}, {kChatGlm4});
    add({"poro-chat", "bloom", "gpt3-finnish"}, {kPoro});
    add({"viking"}, {kPoro, R"(\p{N})"});
    add({"tekken"}, {kTekken}, true, true);
    add({"gpt-4o", "llama4", "minimax-m2"}, {kGpt4o});
    add({"afmoe"}, {kAfmoeDigits, kAfmoeScripts, kAfmoe});
    add({"exaone-moe"}, {kExaoneMoe});
    add({"tiny_aya", "cohere2moe"}, {kAyaDigits, kGpt4o});
    // Gemma 4 cuts only runs of newlines from the rest: merges then span whole lines, spaces included
    // (escaped to U+2581). llama.cpp forces its BOS whatever the file says.
    add({"gemma4", "granite-embed-multi-311m"}, {R"([^\n]+|[\n]+)"});
    e.back().spec.spm_style = true;
    e.back().spec.add_bos = e.back().spec.force_bos = true;
    return e;
  }();
  return t;
}

}  // namespace

const PreTokenizerSpec* find_pre_tokenizer(std::string_view name) {
  for (const auto& e : table())
    for (const auto& n : e.names)
      if (n == name) return &e.spec;
  return nullptr;
}

const PreTokenizerSpec& default_pre_tokenizer() {
  return table().front().spec;
}

std::vector<std::string> known_pre_tokenizers() {
  std::vector<std::string> out;
  for (const auto& e : table()) out.insert(out.end(), e.names.begin(), e.names.end());
  return out;
}

struct RegexSplitter::Compiled {
  pcre2_code* code = nullptr;
  bool jit = false;
  ~Compiled() {
    if (code) pcre2_code_free(code);
  }
};

RegexSplitter::RegexSplitter(const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    int err = 0;
    PCRE2_SIZE err_off = 0;
    auto c = std::make_unique<Compiled>();
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(p.data()), p.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off, nullptr);
    if (!c->code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw std::runtime_error("pre-tokenizer regex /" + p + "/ does not compile at offset " +
                               std::to_string(err_off) + ": " + reinterpret_cast<const char*>(msg));
    }
    // Without JIT the interpreter still works, only slower.
    c->jit = pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE) == 0;
    compiled_.push_back(std::move(c));
  }
}

RegexSplitter::~RegexSplitter() = default;

namespace {
struct MatchResources {
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* stack = nullptr;
  pcre2_match_data* data = nullptr;
  MatchResources() {
    context = pcre2_match_context_create(nullptr);
    // Long runs of one character class can need more than the default 32 KiB JIT stack.
    stack = pcre2_jit_stack_create(32 * 1024, 4 * 1024 * 1024, nullptr);
    if (context && stack) pcre2_jit_stack_assign(context, nullptr, stack);
    data = pcre2_match_data_create(4, nullptr);
    if (!context || !data) throw std::bad_alloc();
  }
  ~MatchResources() {
    if (data) pcre2_match_data_free(data);
    if (stack) pcre2_jit_stack_free(stack);
    if (context) pcre2_match_context_free(context);
  }
};
}  // namespace

void RegexSplitter::split(std::string_view text, std::vector<std::pair<size_t, size_t>>& pieces) const {
  pieces.clear();
  if (text.empty()) return;
  pieces.emplace_back(0, text.size());
  if (compiled_.empty()) return;
  thread_local MatchResources res;
  std::vector<std::pair<size_t, size_t>> next;
  const auto* base = reinterpret_cast<PCRE2_SPTR>(text.data());
  for (const auto& c : compiled_) {
    next.clear();
    next.reserve(pieces.size() * 2);
    for (const auto& [off, len] : pieces) {
      // The subject is the piece alone, so '$' and lookaheads see its end as the end of the text.
      size_t start = 0;
      while (start < len) {
        const int rc =
            c->jit
                ? pcre2_jit_match(c->code, base + off, len, start, PCRE2_NO_UTF_CHECK, res.data, res.context)
                : pcre2_match(c->code, base + off, len, start, PCRE2_NO_UTF_CHECK, res.data, res.context);
        // No match, or a resource limit on pathological input: the rest of the piece stays one piece.
        if (rc < 0) break;
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(res.data);
        const size_t m0 = ov[0], m1 = ov[1];
        // None of our patterns can match empty; if one did, keep the rest as one piece rather than loop.
        if (m1 == m0) break;
        if (m0 > start) next.emplace_back(off + start, m0 - start);
        next.emplace_back(off + m0, m1 - m0);
        start = m1;
      }
      if (start < len) next.emplace_back(off + start, len - start);
    }
    pieces.swap(next);
  }
}

}  // namespace glasswing::tokenizer
