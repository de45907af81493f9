package io.jsteer.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jsteer.bench.EngineDecodeComparison.Variant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The tornadoVariants option of the decode benchmark: parsing, and properties set only while an engine is created. */
class EngineDecodeComparisonVariantTest {

    @Test
    void emptySpecIsOnePlainTornadoRun() {
        List<Variant> v = Variant.parseAll("");
        assertEquals(1, v.size());
        assertEquals("tornado", v.get(0).engineName());
        assertTrue(v.get(0).properties().isEmpty());
    }

    @Test
    void variantsCarryLabelsAndProperties() {
        List<Variant> v = Variant.parseAll("plain:;cudagraph:jsteer.tornado.cudaGraph=true, other.key = 7");
        assertEquals(2, v.size());
        assertEquals("tornado-plain", v.get(0).engineName());
        assertEquals(Map.of(), v.get(0).properties());
        assertEquals("tornado-cudagraph", v.get(1).engineName());
        assertEquals(Map.of("jsteer.tornado.cudaGraph", "true", "other.key", "7"), v.get(1).properties());
    }

    @Test
    void badEntriesAreNamed() {
        IllegalArgumentException noLabel = assertThrows(IllegalArgumentException.class, () -> Variant.parseAll("a=b"));
        assertTrue(noLabel.getMessage().contains("'a=b'"), noLabel.getMessage());
        IllegalArgumentException noValue = assertThrows(IllegalArgumentException.class, () -> Variant.parseAll("x:flag"));
        assertTrue(noValue.getMessage().contains("'flag'"), noValue.getMessage());
    }

    @Test
    void propertiesHoldOnlyDuringCreation() {
        String key = "jsteer.bench.variantTest";
        Variant v = Variant.parseAll("t:" + key + "=on").get(0);
        String seen = v.apply(() -> System.getProperty(key));
        assertEquals("on", seen);
        assertNull(System.getProperty(key));
    }
}
