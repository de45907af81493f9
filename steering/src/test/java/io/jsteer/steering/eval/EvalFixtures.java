package io.jsteer.steering.eval;

import io.jsteer.model.LoadedModel;
import io.jsteer.model.ModelLoader;
import io.jsteer.model.intervene.AddVector;
import io.jsteer.model.intervene.InterventionSet;
import io.jsteer.model.intervene.Positions;
import io.jsteer.model.intervene.Site;
import io.jsteer.model.intervene.SiteKind;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Shared files and small helpers for the eval, sweep and report tests. */
public final class EvalFixtures {

    private EvalFixtures() {}

    /** A file under ../shared (surefire passes its path as jsteer.shared). */
    public static Path shared(String relative) {
        Path p = Path.of(System.getProperty("jsteer.shared", "../../shared")).resolve(relative);
        if (!Files.exists(p)) {
            throw new IllegalStateException("missing shared test file " + p.toAbsolutePath()
                    + " (tests need ../shared beside the checkout)");
        }
        return p;
    }

    /** stories260K.bin with tok512.bin (dim 64, 5 blocks, vocab 512). */
    public static LoadedModel stories() {
        return ModelLoader.load(shared("models/stories260K.bin"), shared("models/tok512.bin"));
    }

    public static AfinnLexicon afinn() {
        return AfinnLexicon.load(shared("data/sentiment/AFINN-en-165.txt"));
    }

    /** A fixed pseudo-random unit vector [dim]. */
    public static float[] unitVector(int dim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[dim];
        double n = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) (r.nextDouble() * 2 - 1);
            n += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(n);
        }
        return v;
    }

    /** Steering that adds strength × v to resid_post of {@code layer} at every position (nLayers: the model's, unused). */
    public static InterventionSet addVector(int nLayers, int layer, float[] v, double strength) {
        return InterventionSet.of(AddVector.of(new Site(SiteKind.RESID_POST, layer), v, strength, Positions.ALL));
    }
}
