package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.jsteer.model.intervene.LayerSelection;
import io.jsteer.model.intervene.SiteKind;
import io.jsteer.weights.WeightFormatException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 20's hostile-input probe, kept as a seeded test: mutated vector-set files and random layer
 * texts give a set, a list, or one clear line naming the file or flag; never another exception
 * (no NullPointerException, IndexOutOfBounds, OutOfMemoryError) and never a long message.
 */
class VectorSetMutationTest {

    @TempDir
    Path dir;

    @Test
    void mutatedFilesGiveASetOrAClearError() throws Exception {
        Path good = dir.resolve("good");
        VectorSetFiles.write(good, VectorSetFilesTest.sample(64, SiteKind.RESID_POST, 1, 2, 3));
        byte[] tensors = Files.readAllBytes(dir.resolve("good.safetensors"));
        byte[] json = Files.readAllBytes(dir.resolve("good.json"));
        Random r = new Random(2020);
        int read = 0, refused = 0;
        for (int i = 0; i < 600; i++) {
            Path m = dir.resolve("m");
            boolean legacy = i % 2 == 1; // odd rounds: metadata from the .json (as earlier versions wrote sets)
            byte[] st = tensors.clone(), js = json.clone();
            byte[] target = legacy ? js : st;
            for (int k = 1 + r.nextInt(4); k > 0; k--) {
                // aim at the header most of the time: that is where the parsing happens
                int at = r.nextInt(4) > 0 ? r.nextInt(Math.min(target.length, 900)) : r.nextInt(target.length);
                target[at] = (byte) r.nextInt(256);
            }
            Files.write(dir.resolve("m.safetensors"), st);
            Files.write(dir.resolve("m.json"), js);
            if (legacy) {
                io.jsteer.steering.LegacyFiles.stripEmbeddedMetadata(dir.resolve("m.safetensors"));
                Files.write(dir.resolve("m.json"), js);
            }
            try {
                VectorSet s = VectorSetFiles.read(m);
                assertTrue(s.vectors().size() >= 1);
                read++;
            } catch (IllegalArgumentException | WeightFormatException e) {
                String msg = e.getMessage();
                assertTrue(msg != null && msg.contains("m.") && !msg.contains("\n") && msg.length() < 600,
                        "round " + i + ": " + msg);
                refused++;
            } catch (RuntimeException e) {
                fail("round " + i + " (" + (legacy ? ".json" : ".safetensors") + " mutated): " + e, e);
            }
            Files.copy(dir.resolve("good.safetensors"), dir.resolve("m.safetensors"), StandardCopyOption.REPLACE_EXISTING);
        }
        assertEquals(600, read + refused);
        assertTrue(refused > 100 && read > 10, "read " + read + ", refused " + refused);
    }

    @Test
    void randomLayerTextsGiveAListOrOneShortLine() {
        Random r = new Random(15);
        String alphabet = "0123456789-, al9";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder s = new StringBuilder();
            for (int n = r.nextInt(30); n > 0; n--) {
                s.append(r.nextInt(20) == 0 ? Long.toString(r.nextLong() >>> r.nextInt(64)) : alphabet.charAt(r.nextInt(alphabet.length())));
            }
            int blocks = 1 + r.nextInt(80);
            try {
                List<Integer> l = LayerSelection.parse("--layers", s.toString(), blocks);
                for (int k = 0; k < l.size(); k++) {
                    assertTrue(l.get(k) >= 0 && l.get(k) < blocks && (k == 0 || l.get(k) > l.get(k - 1)), s + " → " + l);
                }
            } catch (IllegalArgumentException e) {
                assertTrue(e.getMessage().startsWith("--layers") && e.getMessage().length() < 200 && !e.getMessage().contains("\n"),
                        e.getMessage());
            }
        }
    }
}
