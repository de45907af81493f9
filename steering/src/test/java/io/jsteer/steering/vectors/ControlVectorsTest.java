package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.model.intervene.SiteKind;
import io.jsteer.weights.cvec.ControlVector;
import io.jsteer.weights.cvec.ControlVectorFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ControlVectorsTest {

    @TempDir
    Path dir;

    @Test
    void residPostSetRoundTripsThroughLlamaCppFormat() throws IOException {
        VectorSet set = VectorSetFilesTest.sample(64, SiteKind.RESID_POST, 1, 2, 3, 4);
        Path gguf = dir.resolve("happy.gguf");
        ControlVector written = ControlVectors.export(set, gguf, VectorSetFilesTest.STORIES, "llama", false);
        assertEquals(4, written.layerCount(), "n_layer − 1, as llama.cpp's generator writes");
        // direction.N is resid_post:N
        ControlVector raw = ControlVectorFiles.read(gguf);
        assertEquals(List.of(1, 2, 3, 4), List.copyOf(raw.directions().keySet()));
        assertArrayEquals(set.vector(3), raw.direction(3), 0f);
        VectorSet back = ControlVectors.importFile(gguf);
        assertEquals(SiteKind.RESID_POST, back.kind());
        for (int l : set.vectors().keySet()) {
            assertArrayEquals(set.vector(l), back.vector(l), 0f);
        }
        assertEquals("controlvector_import", back.provenance().method());
        assertEquals(gguf, back.provenance().datasets().getFirst().path());
        back.requireFits(VectorSetFilesTest.STORIES, "imported");
        // and it survives the jsteer vector-set format too
        VectorSetFiles.write(dir.resolve("imported"), back);
        assertArrayEquals(set.vector(2), VectorSetFiles.read(dir.resolve("imported"), VectorSetFilesTest.STORIES).vector(2), 0f);
    }

    @Test
    void layerZeroIsRefusedOrSkipped() throws IOException {
        VectorSet set = VectorSetFilesTest.sample(64, SiteKind.RESID_POST, 0, 2);
        String m = assertThrows(IllegalArgumentException.class,
                () -> ControlVectors.toControlVector(set, null, "llama", false)).getMessage();
        assertTrue(m.contains("resid_post:0"), m);
        ControlVector skipped = ControlVectors.export(set, dir.resolve("skip.gguf"), null, "llama", true);
        assertEquals(List.of(2), List.copyOf(skipped.directions().keySet()));
        assertEquals(2, skipped.layerCount());
        VectorSet only0 = VectorSetFilesTest.sample(64, SiteKind.RESID_POST, 0);
        assertThrows(IllegalArgumentException.class, () -> ControlVectors.toControlVector(only0, null, "llama", true));
    }

    @Test
    void otherSitesAndWrongWidthsAreRefused() {
        VectorSet pre = VectorSetFilesTest.sample(64, SiteKind.RESID_PRE, 2);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ControlVectors.toControlVector(pre, null, "llama", false))
                .getMessage().contains("resid_post"));
        VectorSet wide = VectorSetFilesTest.sample(128, SiteKind.RESID_POST, 2);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ControlVectors.toControlVector(wide, VectorSetFilesTest.STORIES, "llama", false)).getMessage()
                .contains("width 128"));
    }
}
