package io.jsteer.tornado;

import io.jsteer.model.LlamaConfig;
import io.jsteer.model.lora.LoraAdapter;
import io.jsteer.model.lora.LoraTarget;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;

/**
 * A LoRA adapter's matrices as device arrays: for each adapted (block, projection) A [rank][in]
 * and B [out][rank] in float32 and a [rank] buffer for A·x. The values are those of the adapter
 * when this copy is made: an adapter trained further must be set again (the CPU engine reads the
 * live parameters, the device cannot).
 */
final class DeviceLora {

    /** One projection's side path. */
    record Pair(DeviceMatrix a, DeviceMatrix b, FloatArray down) {}

    private final Pair[][] pairs; // [layer][target ordinal], null where not adapted
    private final float scale;

    private DeviceLora(Pair[][] pairs, float scale) {
        this.pairs = pairs;
        this.scale = scale;
    }

    static DeviceLora of(LlamaConfig c, LoraAdapter adapter) {
        adapter.validate(c);
        Pair[][] pairs = new Pair[c.nLayers()][LoraTarget.values().length];
        for (int l : adapter.adaptedLayers()) {
            for (LoraTarget t : adapter.targets()) {
                int in = t.inFeatures(c), out = t.outFeatures(c), r = adapter.rank();
                pairs[l][t.ordinal()] = new Pair(DeviceMatrix.ofFloats(adapter.a(l, t).data().toFloatArray(), r, in),
                        DeviceMatrix.ofFloats(adapter.b(l, t).data().toFloatArray(), out, r), new FloatArray(r));
            }
        }
        return new DeviceLora(pairs, (float) adapter.scale());
    }

    /** The side path of (layer, target), or null. */
    Pair pair(int layer, LoraTarget target) {
        return pairs[layer][target.ordinal()];
    }

    /** alpha / rank. */
    float scale() { return scale; }
}
