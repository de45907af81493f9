/**
 * Chat prompt formats: {@link io.jsteer.model.chat.Llama2ChatTemplate} and
 * {@link io.jsteer.model.chat.Llama3ChatTemplate}, both producing token ids with special tokens
 * as ids (never parsed from user text).
 */
package io.jsteer.model.chat;
