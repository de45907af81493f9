package io.jsteer.model.intervene;

import java.util.ArrayList;
import java.util.List;

/** A {@link GateListener} that keeps every token's gates, in the order they came. */
public final class GateRecorder implements GateListener {

    /** The gates of one token at one site. */
    public record GateRecord(Site site, int position, boolean inPrompt, double[] gates) {
        public GateRecord {
            gates = gates.clone();
        }

        @Override
        public double[] gates() { return gates.clone(); }

        public double gate(int attribute) { return gates[attribute]; }
    }

    private final List<GateRecord> records = new ArrayList<>();

    @Override
    public void onGates(Site site, int position, boolean inPrompt, double[] gates) {
        records.add(new GateRecord(site, position, inPrompt, gates));
    }

    public List<GateRecord> records() { return List.copyOf(records); }

    public void clear() { records.clear(); }

    /** Tokens whose gate of {@code attribute} is above {@code threshold} (MAT-Steer's "intervened tokens" use 0.5). */
    public long countAbove(int attribute, double threshold) {
        return records.stream().filter(r -> r.gates[attribute] > threshold).count();
    }
}
