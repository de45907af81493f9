/**
 * Chat prompt formats. {@link io.jsteer.model.chat.ChatTemplates#choose} picks one: the model's own
 * Jinja template ({@link io.jsteer.model.chat.JinjaChatTemplate}, found by
 * {@link io.jsteer.model.chat.ModelChatTemplate}), else a built-in fallback
 * ({@link io.jsteer.model.chat.Llama3ChatTemplate}, {@link io.jsteer.model.chat.ChatMlChatTemplate},
 * {@link io.jsteer.model.chat.Llama2ChatTemplate}). All of them produce token ids with the special
 * tokens of the format as ids and message contents as plain text.
 */
package io.jsteer.model.chat;
