package io.jsteer.steering.vectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorAlgebraTest {

    @Test
    void basicOperations() {
        float[] a = {3, 4, 0}, b = {1, 0, 0};
        assertArrayEquals(new float[] {4, 4, 0}, VectorAlgebra.add(a, b));
        assertArrayEquals(new float[] {2, 4, 0}, VectorAlgebra.subtract(a, b));
        assertArrayEquals(new float[] {1.5f, 2, 0}, VectorAlgebra.scale(a, 0.5));
        assertEquals(5, VectorAlgebra.norm(a), 1e-12);
        assertArrayEquals(new float[] {0.6f, 0.8f, 0}, VectorAlgebra.normalise(a), 1e-7f);
        assertEquals(0.6, VectorAlgebra.cosine(a, b), 1e-12);
    }

    @Test
    void orthogonaliseRemovesOnlyTheComponent() {
        float[] a = {3, 4, 5}, b = {0, 2, 0};
        float[] o = VectorAlgebra.orthogonalise(a, b);
        assertArrayEquals(new float[] {3, 0, 5}, o, 1e-6f);
        assertEquals(0, VectorAlgebra.dot(o, b), 1e-9);
        // the removed part is parallel to b: a - o = k b
        float[] removed = VectorAlgebra.subtract(a, o);
        assertEquals(1, Math.abs(VectorAlgebra.cosine(removed, b)), 1e-9);
    }

    @Test
    void widthsAndZerosAreChecked() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorAlgebra.add(new float[3], new float[4]));
        assertTrue(e.getMessage().contains("different widths, 3 and 4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VectorAlgebra.normalise(new float[3]));
        assertThrows(IllegalArgumentException.class, () -> VectorAlgebra.orthogonalise(new float[] {1, 2}, new float[2]));
        assertThrows(IllegalArgumentException.class, () -> VectorAlgebra.cosine(new float[] {1, 2}, new float[2]));
    }
}
