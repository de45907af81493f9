/**
 * Layer × strength sweeps.
 *
 * <p>A steering configuration is a {@link io.jsteer.steering.sweep.SteeringFactory}
 * {@code (layer, strength) -> Hooks}, so any intervention kind can be swept. For each cell the
 * {@link io.jsteer.steering.sweep.SweepRunner} samples {@code samples} texts (sample i: prompt
 * i mod #prompts, seed {@code seed + i·φ}, the same in every cell), scores them with a
 * {@link io.jsteer.steering.sweep.BehaviourMetric} (AFINN sentiment, refusal rate or the A/B
 * score), measures degeneration, the optional perplexity and the KL on benign prompts against the
 * unsteered model; one baseline cell (no hooks) comes first. Results are records
 * ({@link io.jsteer.steering.sweep.SweepResult}, {@link io.jsteer.steering.sweep.SweepCell})
 * that {@code io.jsteer.steering.report} writes as JSON and HTML.
 *
 * <pre>{@code
 * try (LoadedModel model = ModelLoader.load(modelPath, null);
 *      CpuEngine engine = model.newCpuEngine(512, null)) {
 *     SweepConfig cfg = SweepConfig.builder()
 *             .layers(List.of(1, 2, 3)).strengths(List.of(0.0, 0.5, 1.0, 1.5, 2.0))
 *             .prompts(prompts).samples(50).maxTokens(64).temperature(0.8f).seed(42)
 *             .klPrompts(neutralPrompts)
 *             .build();
 *     SweepResult r = new SweepRunner(engine, model.tokenizer(), model.name())
 *             .run(cfg, BehaviourMetric.afinnSentiment(AfinnLexicon.load(afinnPath)), "my vector", factory);
 *     SweepJson.write(r, out.resolve("sweep.json"));
 *     SweepHtmlReport.write(r, BestCellCriteria.defaults(), out.resolve("sweep.html"));
 * }
 * }</pre>
 *
 * {@link io.jsteer.steering.sweep.SentimentSweepDemo} is the README's happy−sad demo on
 * stories260K in one call.
 */
package io.jsteer.steering.sweep;
