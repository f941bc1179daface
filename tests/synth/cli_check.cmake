# Runs glasswing-cli synth on the hidden small shapes and checks exit codes and output.
file(REMOVE_RECURSE "${WORK}")
file(MAKE_DIRECTORY "${WORK}")

function(run expect_code)
  execute_process(COMMAND ${CLI} ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT code EQUAL expect_code)
    message(FATAL_ERROR "glasswing-cli ${ARGN}: exit ${code}, expected ${expect_code}\nstdout: ${out}\nstderr: ${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
  set(err "${err}" PARENT_SCOPE)
endfunction()

function(expect_match text regex)
  if(NOT text MATCHES "${regex}")
    message(FATAL_ERROR "expected output matching '${regex}', got:\n${text}")
  endif()
endfunction()

# A valid run writes the file and says what it wrote.
run(0 synth --shape test-tiny -t Q4_K -o ${WORK}/tiny.gguf --seed 3)
expect_match("${out}" "wrote .*tiny.gguf: llama test-tiny, 1.3M parameters, weights q4_K")
if(NOT EXISTS ${WORK}/tiny.gguf)
  message(FATAL_ERROR "synth did not write ${WORK}/tiny.gguf")
endif()
run(0 info ${WORK}/tiny.gguf)
expect_match("${out}" "tokenizer: +llama, 320 tokens")
expect_match("${out}" "engine: +runs it\n")
expect_match("${out}" "q4_K +16")

# --layers keeps the first N layers of a preset.
run(0 synth --shape test-tiny -t Q8_0 -o ${WORK}/one-layer.gguf --layers 1)
run(0 info ${WORK}/one-layer.gguf)
expect_match("${out}" "llama.block_count +1\n")
expect_match("${out}" "tensors: +12\n")  # the embedding, one layer's 9, the output norm and the classifier
run(2 synth --shape test-tiny -t Q8_0 -o ${WORK}/bad.gguf --layers 0)
expect_match("${err}" "--layers must be between 1 and the shape's 2")

# Rows K-quants cannot hold are reported as fallbacks.
run(0 synth --shape test-tiny-odd --type q6_k --output ${WORK}/odd.gguf)
expect_match("${out}" "fallback: [0-9]+ tensors with rows of 96 -> q8_0 \\(q6_K needs rows that are a multiple of 256\\)")

# --list shows the real presets but not the test shapes.
run(0 synth --list)
expect_match("${out}" "qwen2.5-0.5b +qwen2 +896 +24 +14 +2 +4864 +151936")
if(out MATCHES "test-tiny")
  message(FATAL_ERROR "synth --list shows a hidden test shape:\n${out}")
endif()

# Usage errors exit 2 with one line naming the problem; nothing is written.
run(2 synth --shape test-tiny -t Q8_K -o ${WORK}/bad.gguf)
expect_match("${err}" "cannot write type 'Q8_K'")
run(2 synth --shape no-such-model -o ${WORK}/bad.gguf)
expect_match("${err}" "unknown shape 'no-such-model'")
run(2 synth --shape test-tiny)
expect_match("${err}" "--output")
run(2 synth --shape test-tiny --arch gpt2 -o ${WORK}/bad.gguf)
if(EXISTS ${WORK}/bad.gguf)
  message(FATAL_ERROR "a failed synth left ${WORK}/bad.gguf behind")
endif()
