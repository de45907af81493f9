package io.jsteer.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API species jsteer's kernels use, checked once. jsteer has no scalar fallback
 * for its hot loops on purpose: a missing module or a too-narrow species fails here, loudly,
 * instead of running ten times slower without a word.
 */
public final class VectorSupport {

    private VectorSupport() {}

    /** Throws {@link IllegalStateException} with a fix when the Vector API is not usable. */
    public static void requireVectorApi() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            throw new IllegalStateException("the Vector API module is missing: run the JVM with "
                    + "--add-modules=jdk.incubator.vector (the ./jsteer launcher and the Maven build do this)");
        }
        int bits = Species.F.vectorBitSize();
        if (bits < 128) {
            throw new IllegalStateException("the preferred float vector species is only " + bits
                    + " bits wide on this CPU/JVM; jsteer's kernels need at least 128-bit vectors");
        }
    }

    /** A one-line description for logs and benchmarks, e.g. "Vector API, 512-bit (16 floats)". */
    public static String describe() {
        requireVectorApi();
        return "Vector API, " + Species.F.vectorBitSize() + "-bit (" + Species.F.length() + " floats)";
    }

    /** Holder so that the species is only touched after the module check. */
    static final class Species {
        static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;

        private Species() {}
    }
}
