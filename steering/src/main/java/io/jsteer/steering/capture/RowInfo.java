package io.jsteer.steering.capture;

/**
 * What one captured row is: the prompt it came from, that prompt's pair and class, and the token
 * position (−1 for a mean over the prompt).
 */
public record RowInfo(int prompt, int group, int position, int label) {}
