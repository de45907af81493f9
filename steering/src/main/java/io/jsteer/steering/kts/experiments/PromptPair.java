package io.jsteer.steering.kts.experiments;

/**
 * One contrast pair as the reference code keeps it before formatting: two (user prompt, assistant
 * text) exchanges. Sign convention (kts.md §6.4): the vector is {@code mean(h(first) − h(second))},
 * so a positive multiplier pushes towards {@code first}; in the reference's data the first side is
 * the undesired one (the concept, the compliant answer, the biased answer).
 */
public record PromptPair(String firstUser, String firstAnswer, String secondUser, String secondAnswer) {

    public PromptPair {
        if (firstUser == null || secondUser == null || firstUser.isBlank() || secondUser.isBlank()) {
            throw new IllegalArgumentException("a prompt pair needs two non-empty user prompts");
        }
        firstAnswer = firstAnswer == null ? "" : firstAnswer;
        secondAnswer = secondAnswer == null ? "" : secondAnswer;
    }

    /** A pair of bare prompts with empty answers (concept sentences, bad vs good prompts). */
    public static PromptPair prompts(String first, String second) {
        return new PromptPair(first, "", second, "");
    }
}
