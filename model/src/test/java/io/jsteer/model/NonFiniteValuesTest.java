package io.jsteer.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.tensor.Parallel;
import io.jsteer.weights.gguf.GgufHeader;
import io.jsteer.weights.gguf.GgufReader;
import io.jsteer.weights.gguf.GgufTensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 20: NaN and infinities in weights are refused at load; non-finite logits stop generation. */
class NonFiniteValuesTest {

    @TempDir
    Path dir;

    /** A copy of stories260K.gguf with {@code value} written over element {@code index} of an F32 tensor. */
    private Path damaged(String tensor, long index, float value) throws Exception {
        Path copy = dir.resolve("damaged.gguf");
        Files.copy(TestModels.shared("models/stories260K.gguf"), copy);
        GgufHeader h = GgufReader.readHeader(copy);
        GgufTensorInfo info = h.tensors().stream().filter(t -> t.name().equals(tensor)).findFirst().orElseThrow();
        try (FileChannel ch = FileChannel.open(copy, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value), h.dataStart() + info.offset() + 4 * index);
        }
        return copy;
    }

    @Test
    void nonFiniteWeightsAreRefusedAtLoadNamingTheTensor() throws Exception {
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY}) {
            Path file = damaged("blk.0.ffn_up.weight", 100, bad);
            var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(file, null));
            assertTrue(e.getMessage().contains("damaged.gguf: tensor blk.0.ffn_up.weight element 100 is " + bad), e.getMessage());
            Files.delete(file);
        }
        Path norm = damaged("blk.3.attn_norm.weight", 7, Float.NEGATIVE_INFINITY);
        var e = assertThrows(IllegalArgumentException.class, () -> ModelLoader.load(norm, null));
        assertTrue(e.getMessage().contains("tensor blk.3.attn_norm.weight element 7 is -Infinity"), e.getMessage());
    }

    @Test
    void largeTensorsAreSampledAtStartMiddleAndEnd() {
        float[] v = new float[(int) FiniteWeights.FULL_SCAN_ELEMENTS + 10_000];
        var t = io.jsteer.tensor.FloatTensor.of(v);
        FiniteWeights.check(Path.of("m.gguf"), "big", t); // all zeros: fine
        v[v.length - 1] = Float.NaN;
        var e = assertThrows(IllegalArgumentException.class, () -> FiniteWeights.check(Path.of("m.gguf"), "big", io.jsteer.tensor.FloatTensor.of(v)));
        assertTrue(e.getMessage().contains("m.gguf: tensor big element " + (v.length - 1) + " is NaN"), e.getMessage());
    }

    @Test
    void logitsThatStopBeingFiniteStopGenerationWithAClearError() {
        LoadedModel m = TestModels.storiesBin();
        try (CpuEngine e = new CpuEngine(m.config(), m.weights(), 64, new Parallel(1))) {
            // what an absurd steering edit does to the residual stream: its RMS overflows and everything after is NaN
            e.setInterventions(io.jsteer.model.intervene.InterventionSet.of(new io.jsteer.model.intervene.HostEdit(
                    new Site(SiteKind.RESID_POST, 2), "overflow", -1, gates -> (site, pos, inPrompt, x) -> x[0] = Float.MAX_VALUE * 4)));
            int[] prompt = m.tokenizer().encode("Once upon a time", true);
            var err = assertThrows(NonFiniteLogitsException.class, () -> new Generator(e).generate(prompt, 10, Sampler.greedy(),
                    t -> false, (p, t) -> {}));
            assertEquals(prompt.length, err.position());
            assertTrue(err.getMessage().contains("logits became non-finite at position " + prompt.length), err.getMessage());
            // without the edit the same engine generates normally
            e.setInterventions(null);
            assertEquals(10, new Generator(e).generate(prompt, 10, Sampler.greedy(), t -> false, (p, t) -> {}).generatedCount());
        }
    }
}
