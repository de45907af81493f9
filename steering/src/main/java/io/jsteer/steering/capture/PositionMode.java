package io.jsteer.steering.capture;

/**
 * Which token positions of a prompt a capture records.
 *
 * <ul>
 *   <li>{@link #LAST}: the last prompt token (the usual choice for contrastive pairs);</li>
 *   <li>{@link #MEAN}: the mean over all prompt tokens, one vector per prompt (position −1);</li>
 *   <li>{@link #ALL}: every prompt token, one vector each;</li>
 *   <li>{@link #AT}: the position given by each prompt ({@link CapturePrompt#at()}), e.g. the
 *       answer letter of an A/B item.</li>
 * </ul>
 */
public enum PositionMode {
    LAST, MEAN, ALL, AT
}
