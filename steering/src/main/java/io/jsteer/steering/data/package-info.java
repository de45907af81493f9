/**
 * Dataset readers: contrastive pairs, A/B items, labelled prompts, plain texts, a sentiment
 * lexicon and TruthfulQA from JSON, JSON Lines, CSV or text files, each with the SHA-256 of its
 * files for provenance. Entry point: {@link io.jsteer.steering.data.Datasets}.
 */
package io.jsteer.steering.data;
