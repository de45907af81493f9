package io.jsteer.weights.llama2c;

import static io.jsteer.weights.Rejections.assertRejected;
import static io.jsteer.weights.Rejections.openOrReject;
import static io.jsteer.weights.Rejections.write;
import static io.jsteer.weights.Rejections.writePrefix;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.weights.ModelFiles;
import io.jsteer.weights.ModelFormat;
import io.jsteer.weights.ModelWeights;
import io.jsteer.weights.SharedFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cReaderTest {

    @TempDir
    Path dir;

    // dim 8, hidden 16, 1 layer, 2 heads, 1 kv head, vocab 16, seq 4: head size 4, kv dim 4
    static final int WEIGHT_FLOATS = 16 * 8 + (2 * 8 + 2 * 8 * (8 + 4) + 3 * 8 * 16) + 8;
    static final int FREQ_FLOATS = 4 * 4;

    /** A checkpoint whose i-th float is i, so every slice can be checked by its first value. */
    static byte[] checkpoint(int vocab, boolean withFreq, int extraFloats, int... header) {
        int[] h = header.length > 0 ? header : new int[] {8, 16, 1, 2, 1, vocab, 4};
        int floats = WEIGHT_FLOATS + (withFreq ? FREQ_FLOATS : 0) + (vocab < 0 ? 16 * 8 : 0) + extraFloats;
        ByteBuffer b = ByteBuffer.allocate(28 + 4 * floats).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : h) {
            b.putInt(v);
        }
        for (int i = 0; i < floats; i++) {
            b.putFloat(i);
        }
        return b.array();
    }

    @Test
    void slicesLandWhereRunCReadsThem() {
        Path file = write(dir.resolve("tiny.bin"), checkpoint(16, true, 0));
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(ModelFormat.LLAMA2C, w.format());
            assertEquals(0f, w.tensor("token_embd.weight").data().getFloat(0));
            assertEquals(128f, w.tensor("blk.0.attn_norm.weight").data().getFloat(0));
            assertEquals(136f, w.tensor("blk.0.attn_q.weight").data().getFloat(0));
            assertEquals(136f + 64, w.tensor("blk.0.attn_k.weight").data().getFloat(0));
            assertEquals(136f + 64 + 32, w.tensor("blk.0.attn_v.weight").data().getFloat(0));
            assertEquals(136f + 64 + 32 + 32, w.tensor("blk.0.attn_output.weight").data().getFloat(0));
            assertEquals(328f, w.tensor("blk.0.ffn_norm.weight").data().getFloat(0));
            assertEquals(336f, w.tensor("blk.0.ffn_gate.weight").data().getFloat(0));
            assertEquals(336f + 128, w.tensor("blk.0.ffn_down.weight").data().getFloat(0));
            assertEquals(336f + 256, w.tensor("blk.0.ffn_up.weight").data().getFloat(0));
            assertEquals(WEIGHT_FLOATS - 8f, w.tensor("output_norm.weight").data().getFloat(0));
            assertArrayEquals(new long[] {8, 16}, w.tensor("blk.0.ffn_down.weight").shape());
            assertArrayEquals(new long[] {4, 8}, w.tensor("blk.0.attn_k.weight").shape());
            assertFalse(w.hasTensor("output.weight"));
            assertEquals(true, w.metadata().get("jsteer.tied_embeddings"));
        }
    }

    @Test
    void negativeVocabMeansAClassifierAfterTheFreqTables() {
        Path file = write(dir.resolve("untied.bin"), checkpoint(-16, true, 0));
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals((float) (WEIGHT_FLOATS + FREQ_FLOATS), w.tensor("output.weight").data().getFloat(0));
            assertArrayEquals(new long[] {16, 8}, w.tensor("output.weight").shape());
            assertEquals(16L, w.metadata().get("llama.vocab_size"));
            assertEquals(false, w.metadata().get("jsteer.tied_embeddings"));
        }
    }

    @Test
    void sharedCheckpointWithoutFreqTablesIsAccepted() {
        Path file = write(dir.resolve("nofreq.bin"), checkpoint(16, false, 0));
        try (ModelWeights w = ModelFiles.open(file)) {
            assertEquals(WEIGHT_FLOATS - 8f, w.tensor("output_norm.weight").data().getFloat(0));
        }
        assertRejected(write(dir.resolve("untied-nofreq.bin"), checkpoint(-16, false, 0)), "file length");
    }

    @Test
    void everyPrefixIsRejectedExceptTheFreqlessLength() {
        byte[] content = checkpoint(16, true, 0);
        int freqless = 28 + 4 * WEIGHT_FLOATS;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int n = 0; n < content.length; n++) {
                assertEquals(n == freqless, openOrReject(writePrefix(dir.resolve("p.bin"), content, n)), "prefix " + n);
            }
            byte[] untied = checkpoint(-16, true, 0);
            for (int n = 0; n < untied.length; n++) {
                assertFalse(openOrReject(writePrefix(dir.resolve("u.bin"), untied, n)), "prefix " + n);
            }
        });
    }

    @Test
    void denseSampleOfPrefixesOfTheRealModelIsRejected() throws IOException {
        byte[] content = Files.readAllBytes(SharedFiles.model("stories260K.bin"));
        int freqless = 28 + 4 * 260032;
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            for (int n = 0; n < content.length; n += n < 4096 ? 3 : 7919) {
                assertEquals(n == freqless, openOrReject(writePrefix(dir.resolve("p.bin"), content, n)), "prefix " + n);
            }
            assertTrue(openOrReject(writePrefix(dir.resolve("p.bin"), content, freqless)));
            assertFalse(openOrReject(writePrefix(dir.resolve("p.bin"), content, content.length - 1)));
        });
    }

    @Test
    void badHeadersAreNamed() {
        assertRejected(write(dir.resolve("extra.bin"), checkpoint(16, true, 1)), "file length");
        assertRejected(write(dir.resolve("dim0.bin"), checkpoint(16, true, 0, 0, 16, 1, 2, 1, 16, 4)), "dim");
        assertRejected(write(dir.resolve("dimneg.bin"), checkpoint(16, true, 0, -8, 16, 1, 2, 1, 16, 4)), "dim");
        assertRejected(write(dir.resolve("hidden.bin"), checkpoint(16, true, 0, 8, Integer.MAX_VALUE, 1, 2, 1, 16, 4)),
                "hidden_dim");
        assertRejected(write(dir.resolve("layers.bin"), checkpoint(16, true, 0, 8, 16, 1 << 30, 2, 1, 16, 4)), "n_layers");
        assertRejected(write(dir.resolve("heads.bin"), checkpoint(16, true, 0, 8, 16, 1, 3, 1, 16, 4)), "n_heads");
        assertRejected(write(dir.resolve("oddhead.bin"), checkpoint(16, true, 0, 8, 16, 1, 8, 1, 16, 4)), "n_heads");
        assertRejected(write(dir.resolve("kv.bin"), checkpoint(16, true, 0, 8, 16, 1, 2, 4, 16, 4)), "n_kv_heads");
        assertRejected(write(dir.resolve("kv0.bin"), checkpoint(16, true, 0, 8, 16, 1, 2, 0, 16, 4)), "n_kv_heads");
        assertRejected(write(dir.resolve("vocabmin.bin"), checkpoint(16, true, 0, 8, 16, 1, 2, 1, Integer.MIN_VALUE, 4)),
                "vocab_size");
        assertRejected(write(dir.resolve("vocab0.bin"), checkpoint(16, true, 0, 8, 16, 1, 2, 1, 0, 4)), "vocab_size");
        assertRejected(write(dir.resolve("seq.bin"), checkpoint(16, true, 0, 8, 16, 1, 2, 1, 16, -1)), "seq_len");
        assertRejected(write(dir.resolve("big.bin"), checkpoint(16, true, 0, 1 << 20, 1 << 23, 4096, 1 << 10, 1 << 10,
                1 << 24, 1 << 24)), "file length");
        assertRejected(write(dir.resolve("short.bin"), new byte[12]), "too short");
    }

    @Test
    void zeroedAndRandomFilesAreRejected() {
        Random random = new Random(5);
        assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            assertRejected(write(dir.resolve("zero.bin"), new byte[3004]), "dim");
            for (int i = 0; i < 300; i++) {
                byte[] b = new byte[random.nextInt(4096)];
                random.nextBytes(b);
                if (i % 2 == 0 && b.length >= 28) {
                    // a plausible header over random weights: only the length check can catch it
                    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(8).putInt(16).putInt(1).putInt(2).putInt(1)
                            .putInt(16).putInt(4);
                }
                assertFalse(openOrReject(write(dir.resolve("r.bin"), b)));
            }
        });
    }
}
