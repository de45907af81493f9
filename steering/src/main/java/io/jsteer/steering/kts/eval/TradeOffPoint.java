package io.jsteer.steering.kts.eval;

/**
 * One (model, multiplier) cell of the KTS trade-off (spec §7 metrics).
 *
 * @param model          "original" or "kts" (each steered with a vector computed on itself)
 * @param factor         c / c_max
 * @param multiplier     c
 * @param benignKl       mean per-token KL(p_orig ‖ p_model,c) on benign eval text
 * @param perplexity     perplexity of the steered model on benign eval text (the original's is in the report)
 * @param logOdds        mean over targeted prompts of log Σp(happy) − log Σp(sad) for the next word
 * @param logOddsChange  logOdds minus the original model's unsteered logOdds
 * @param happyShare     share of sampled continuations (20 tokens, temperature 1) with a happy word
 */
public record TradeOffPoint(String model, double factor, double multiplier, double benignKl, double perplexity,
                            double logOdds, double logOddsChange, double happyShare) {}
