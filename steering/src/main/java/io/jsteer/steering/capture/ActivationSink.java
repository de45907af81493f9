package io.jsteer.steering.capture;

import io.jsteer.model.intervene.Site;

/** Receives captured activations, one vector at a time, in prompt order. */
public interface ActivationSink {

    /**
     * @param prompt   index of the prompt in the captured list
     * @param p        the prompt (label and group)
     * @param position token position, or −1 for a mean over the prompt
     * @param site     where it was read
     * @param x        the activation [dim]; only valid during the call, copy what you keep
     */
    void accept(int prompt, CapturePrompt p, int position, Site site, float[] x);
}
