package io.jsteer.model.lora;

import io.jsteer.model.LlamaWeights;
import io.jsteer.model.LoadedModel;
import io.jsteer.tensor.DType;
import io.jsteer.tensor.FloatTensor;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.TensorData;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A model file's tensors with an adapter folded in ({@link LoraAdapter#mergeInto}), under the
 * file's own names and layout, so that a writer (e.g. {@code GgufConverter}) can store a merged
 * model. Adapted projections become float32; everything else (other projections, blocks the
 * adapter leaves out) is the file's own data.
 */
public final class MergedWeights {

    private MergedWeights() {}

    /** The GGUF tensor name of target {@code t} in block {@code layer}. */
    public static String ggufName(int layer, LoraTarget t) {
        String name = switch (t) {
            case Q -> "attn_q";
            case K -> "attn_k";
            case V -> "attn_v";
            case O -> "attn_output";
            case GATE -> "ffn_gate";
            case UP -> "ffn_up";
            case DOWN -> "ffn_down";
        };
        return "blk." + layer + "." + name + ".weight";
    }

    /**
     * The tensors of {@code model.file()} with {@code adapter} merged in. The result borrows the
     * model's mapped data: use it before closing the model; closing the result does nothing.
     */
    public static ModelWeights of(LoadedModel model, LoraAdapter adapter) {
        LlamaWeights merged = adapter.mergeInto(model.config(), model.weights());
        FloatTensor[][] byTarget = {merged.wq(), merged.wk(), merged.wv(), merged.wo(), merged.w1(), merged.w3(), merged.w2()};
        ModelWeights file = model.file();
        Map<String, TensorData> tensors = new LinkedHashMap<>(file.tensors());
        for (int l : adapter.adaptedLayers()) {
            for (LoraTarget t : adapter.targets()) {
                String name = ggufName(l, t);
                TensorData base = file.tensor(name);
                tensors.put(name, new TensorData(name, DType.F32, base.shape(), byTarget[t.ordinal()][l]));
            }
        }
        return new ModelWeights(file.path(), file.format(), file.metadata(), tensors, null);
    }
}
