package io.jsteer.steering.mat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jsteer.model.tokenizer.Tokenizer;
import io.jsteer.steering.kts.experiments.PromptFormat;
import io.jsteer.steering.mat.tasks.McItem;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How MAT-Steer's samples become token ids (spec §2 "Sample construction"), written once for
 * training features, scoring, gate statistics and generation prompts:
 * <ul>
 *   <li>plain (the paper, base models): BOS + {@code "Q: {question} A: {answer}"}, the answer's
 *       tokens being those after the common prefix with {@code "Q: {question} A:"}'s own ids;</li>
 *   <li>template (chat models such as the paper's Table 8 Llama-3.1-8B-Chat): the question is the
 *       user turn of the chat template (with the generation prompt) and the answer is the
 *       assistant's text after it, its tokens those after the rendered head.</li>
 * </ul>
 * The rendering itself is {@link PromptFormat}'s (shared with KTS); only {@code plain} and
 * {@code template} are MAT formats.
 */
public record MatPrompts(Tokenizer tokenizer, PromptFormat format, String templateName) {

    /**
     * @param templateName the {@code --template} the chat template came from (null: the model's own),
     *                     recorded in checkpoints so that eval renders as training did
     */
    public MatPrompts {
        if (format.kind() == PromptFormat.Kind.REFERENCE) {
            throw new IllegalArgumentException("MAT-Steer prompts are plain or template, not the KTS reference string");
        }
    }

    public MatPrompts(Tokenizer tokenizer, PromptFormat format) {
        this(tokenizer, format, null);
    }

    /** The system prompt of template prompts (null: none). */
    public String system() { return isTemplate() ? format.system() : null; }

    /** The paper's plain strings: what every MAT command did before formats existed (same ids, bit for bit). */
    public static MatPrompts plain(Tokenizer tokenizer) {
        return new MatPrompts(tokenizer, PromptFormat.plain());
    }

    public boolean isTemplate() { return format.kind() == PromptFormat.Kind.TEMPLATE; }

    /** {@code plain} or {@code template}: what checkpoints record. */
    public String label() { return isTemplate() ? "template" : "plain"; }

    /** Choice {@code c} of {@code item}: its ids and where its answer starts. */
    public PromptFormat.Answered choice(McItem item, int c) {
        return isTemplate() ? format.answered(tokenizer, item.question(), item.choices().get(c))
                : format.answered(tokenizer, item.prompt(), item.choices().get(c));
    }

    /** A question and one response (HelpSteer's generative setting): ids and where the response starts. */
    public PromptFormat.Answered response(String question, String response) {
        return format.answered(tokenizer, isTemplate() ? question.strip() : McItem.prompt(question), response.strip());
    }

    /** What the model continues when it answers {@code question} itself (generation). */
    public int[] request(String question) {
        return isTemplate() ? format.request(tokenizer, question.strip()) : tokenizer.encode(McItem.prompt(question), true);
    }

    /** Ids of choice {@code c}. */
    public int[] ids(McItem item, int c) { return choice(item, c).ids(); }

    /**
     * What a feature cache key must name so that features of one format are never reused for
     * another: the format and, for a template, the exact ids it gives a probe exchange (template
     * text, system prompt and the tokenizer's splitting all show there).
     */
    public Map<String, Object> cacheKey() {
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("format", label());
        if (isTemplate()) {
            key.put("probe", Arrays.toString(format.answered(tokenizer, "question?", "answer.").ids()));
        }
        return key;
    }

    /** {@link #cacheKey} as JSON (for logs and tests). */
    public String cacheKeyJson() {
        try {
            return new ObjectMapper().writeValueAsString(cacheKey());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
